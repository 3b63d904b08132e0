import { type Energy, type Tensor, ops, termValues, totalOf } from "@unfold/core";
import { boundedSpectrumWeight, normalizeTokens, softmaxBetaAttention, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { type TrainableSpecs, causalMask, countParams, mergeSpecs, prefixSpecs } from "@unfold/nn";
import type { YangModelConfig } from "../config/schema.js";
import type { TaskData } from "../task/task.js";
import { inputOutput } from "./embedding.js";
import { type EnergyTrace, type TrainerModel, layerPrefix } from "./model.js";
import { stepSizes } from "./step-size.js";
import { fixedPointYangModel } from "./yang-fixed-point.js";
import { yangLayerSpecs } from "./yang-layer.js";

/**
 * The unfolded Yang et al. energy Transformer. Y^0 = ReLU(embedding) (the feed-forward step is a
 * projected-gradient step on {Y >= 0}, so the state starts inside that set), then per layer the
 * softmax_beta majorize-minimize step on E_att and the ReLU step on E_ff, then the head.
 *
 * Every learned quantity stays where the descent guarantees hold, by construction:
 * - W_f = boundedSpectrumWeight(M): eigenvalues in (-spectrum, spectrum), so I + W_f > 0 and the
 *   feed-forward step descends for any alpha_ff < 2 / (1 + spectrum) (its learned range);
 * - the attention damping alpha_att = sigmoid(theta) in (0, 1): the MM step descends for any
 *   damping in (0, 2), and at most 1 it keeps the state non-negative (a convex combination), which
 *   the next ReLU step's guarantee needs;
 * - W_s = W_a^T W_a is positive semidefinite for any W_a.
 * Token normalization (optional) is a projection that descends nothing, and a causal mask (for
 * next-token tasks) makes the attention update something other than E_att's MM step; with either
 * the energy trace is measured, not promised.
 */
export function yangModel(config: YangModelConfig, task: TaskData): TrainerModel {
  const { dim, layers, heads, tied } = config;
  const headDim = config.headDim ?? dim;
  const io = inputOutput(task, dim, config.head);
  const energy: Energy = yangEnergy({ dim, heads, headDim });
  // The step objects supply the maps; their numeric sizes are replaced by the tensors below.
  const [attentionStep, feedForwardStep] = yangLayerSteps(energy, { feedForwardStepSize: 1 });
  if (config.fixedPoint) return fixedPointYangModel(config, config.fixedPoint, task);
  const attention = stepSizes("attention", { layers, bound: 1, learned: config.attentionStep.learned ?? true, fraction: config.attentionStep.fraction });
  const feedForward = stepSizes("feedForward", { layers, bound: 2 / (1 + config.spectrum), learned: config.feedForwardStep.learned ?? true, fraction: config.feedForwardStep.fraction });

  const layerSpecs: TrainableSpecs = yangLayerSpecs(dim, heads, headDim);
  const sets = tied ? 1 : layers;
  const specs = mergeSpecs(
    io.specs,
    attention.specs,
    feedForward.specs,
    ...Array.from({ length: sets }, (_, l) => prefixSpecs(layerPrefix(tied, l), layerSpecs)),
  );

  const energyParams = (layer: number, p: Record<string, Tensor>): Record<string, Tensor> => {
    const prefix = layerPrefix(tied, layer);
    return { Wa: p[`${prefix}.Wa`]!, Wf: boundedSpectrumWeight(p[`${prefix}.M`]!, config.spectrum), b: p[`${prefix}.b`]! };
  };

  const attend = (Y: Tensor, e: Record<string, Tensor>, alpha: Tensor): Tensor => {
    if (!config.causal) return attentionStep!.apply(Y, e, alpha);
    const mask = causalMask(task.input.tokens, Y.dtype, Y.graph);
    return ops.add(Y, ops.mul(ops.sub(softmaxBetaAttention(Y, e["Wa"]!, mask), Y), alpha));
  };

  const layer = (Y: Tensor, l: number, e: Record<string, Tensor>, p: Record<string, Tensor>): Tensor => {
    let next = attend(Y, e, attention.at(l, p, Y));
    next = feedForwardStep!.apply(next, e, feedForward.at(l, p, Y));
    return config.normalize === "euclidean" ? normalizeTokens(next) : next;
  };

  const run = (input: Tensor, p: Record<string, Tensor>, record?: { before: Tensor[]; after: Tensor[] }): Tensor => {
    let Y = ops.relu(io.embed(input, p));
    // Tied weights share one W_f; building it once keeps the program small.
    const shared = tied ? energyParams(0, p) : undefined;
    for (let l = 0; l < layers; l++) {
      const e = shared ?? energyParams(l, p);
      record?.before.push(totalOf(termValues(energy, Y, e)));
      Y = layer(Y, l, e, p);
      record?.after.push(totalOf(termValues(energy, Y, e)));
    }
    return Y;
  };

  return {
    kind: "yang",
    specs,
    layers,
    logits: (input, p) => io.head(run(input, p), p),
    energyTrace: (input, p): EnergyTrace => {
      const record = { before: [] as Tensor[], after: [] as Tensor[] };
      run(input, p, record);
      return record;
    },
    describe: () =>
      `unfolded Yang energy Transformer: ${layers} ${tied ? "tied" : "untied"} layers, dim ${dim}, ${heads} head${heads > 1 ? "s" : ""}` +
      `${config.normalize === "none" ? "" : ", token normalization"}${config.causal ? ", causal" : ""}, ${countParams(specs).toLocaleString("en-US")} parameters`,
  };
}
