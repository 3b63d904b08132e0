import { type Energy, closedFormStep, defineEnergy, ops, proximalStep, sumEnergies } from "@unfold/core";
import { ATTENTION_TERM, FEED_FORWARD_TERM, boundedSpectrumWeight, yangEnergy } from "@unfold/energies";
import { countParams, mergeSpecs, prefixSpecs } from "@unfold/nn";
import type { FixedPointConfig, YangModelConfig } from "../config/schema.js";
import type { FixedPointModel } from "../fixed-point/model.js";
import type { TaskData } from "../task/task.js";
import { inputOutput } from "./embedding.js";
import { describeSolve, fixedPointTrainerModel, layerMapsByBatch } from "./fixed-point-trainer-model.js";
import { type TrainerModel, layerPrefix } from "./model.js";
import { yangLayerSpecs } from "./yang-layer.js";

/** The anchor term's name in the fixed-point Yang energy: (lambda / 2) ||Y - X||^2. */
export const ANCHOR_TERM = "anchor";
/** The anchor's parameter: X = ReLU(embedding of the input), the state's shape. */
export const ANCHOR_PARAM = "X";

/** (lambda / 2) ||Y - X||^2 on states of `shape`, with X a parameter: what ties a fixed point to its input. */
export function anchorEnergy(shape: readonly number[], lambda: number): Energy<"X"> {
  return defineEnergy({
    name: "anchor",
    params: { X: { shape } },
    terms: [
      {
        name: ANCHOR_TERM,
        value: (Y, p) => {
          const diff = ops.sub(Y, p.X);
          return ops.mul(ops.sum(ops.mul(diff, diff)), lambda / 2);
        },
      },
    ],
  });
}

/**
 * The Yang model iterated to its fixed point (model.fixedPoint): one tied layer T, the
 * softmax_beta MM step on E_att at damping attentionStep.fraction, then the ReLU projected
 * gradient step on E_ff + (lambda / 2) ||Y - X||^2 at feedForwardStep.fraction of its bound
 * 2 / (1 + spectrum + lambda), with X = ReLU(embedding). The step sizes are fixed numbers (a
 * fixed point needs one map); the weights are the unrolled tied model's (`shared.*`), so a
 * checkpoint's parameters carry over. Y_0 = X.
 */
export function fixedPointYangModel(config: YangModelConfig, fixedPoint: FixedPointConfig, task: TaskData): TrainerModel {
  const { dim, heads } = config;
  const headDim = config.headDim ?? dim;
  const tokens = task.input.tokens;
  const io = inputOutput(task, dim, config.head);
  const prefix = layerPrefix(true, 0);
  const specs = mergeSpecs(io.specs, prefixSpecs(prefix, yangLayerSpecs(dim, heads, headDim)));
  const yang = yangEnergy({ dim, heads, headDim });
  const lambda = fixedPoint.anchor;
  const attentionSize = config.attentionStep.fraction;
  const feedForwardSize = (config.feedForwardStep.fraction * 2) / (1 + config.spectrum + lambda);
  const map = layerMapsByBatch((batch) => {
    const energy = sumEnergies("yang-anchored", [yang, anchorEnergy([batch, tokens, dim], lambda)]);
    const steps = [
      closedFormStep(energy, ATTENTION_TERM, { stepSize: attentionSize, name: "attention" }),
      proximalStep(energy, { terms: [FEED_FORWARD_TERM, ANCHOR_TERM], stepSize: feedForwardSize, prox: (point) => ops.relu(point), proxName: "relu", name: "feedForward" }),
    ];
    return { energy, steps };
  });

  const model: FixedPointModel = {
    config: fixedPoint,
    stateShape: (batch) => [batch, tokens, dim],
    map,
    start: ANCHOR_PARAM,
    mapParams: (input, p) => ({
      Wa: p[`${prefix}.Wa`]!,
      Wf: boundedSpectrumWeight(p[`${prefix}.M`]!, config.spectrum),
      b: p[`${prefix}.b`]!,
      [ANCHOR_PARAM]: ops.relu(io.embed(input, p)),
    }),
    head: (state, p) => io.head(state, p),
  };

  return fixedPointTrainerModel(
    "yang",
    specs,
    model,
    () =>
      `fixed-point Yang energy Transformer: one tied layer ${describeSolve(fixedPoint)}, ` +
      `anchor ${lambda}, dim ${dim}, ${heads} head${heads > 1 ? "s" : ""}, ${countParams(specs).toLocaleString("en-US")} parameters`,
  );
}
