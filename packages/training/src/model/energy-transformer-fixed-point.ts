import { type Energy, type Params, type Step, type Tensor, activated, defineEnergy, ops } from "@unfold/core";
import { energyTransformerEnergy, energyTransformerStep } from "@unfold/energies";
import { countParams } from "@unfold/nn";
import type { EnergyTransformerModelConfig, FixedPointConfig } from "../config/schema.js";
import type { FixedPointModel } from "../fixed-point/model.js";
import type { TaskData } from "../task/task.js";
import { inputOutput } from "./embedding.js";
import { energyTransformerModel } from "./energy-transformer.js";
import { describeSolve, fixedPointTrainerModel, layerMapsByBatch } from "./fixed-point-trainer-model.js";
import type { TrainerModel } from "./model.js";
import { ANCHOR_PARAM, ANCHOR_TERM } from "./yang-fixed-point.js";

/** The LayerNorm epsilon of the trainer's Energy Transformer (energyTransformerEnergy's default). */
const LAYER_NORM_EPS = 1e-5;

/** The Energy Transformer's parameters, as the energy names them (the trainer prefixes them with `et.`). */
const ET_PARAMS = ["Wq", "Wk", "xi", "lnGain", "lnBias"] as const;

/**
 * The anchored Energy Transformer on states [batch, tokens, dim]: the ET's attention and Hopfield
 * terms at g = LayerNorm(x), and the anchor's term. The layer's force is the ET's dE/dg plus
 * lambda (x - X), the gradient of (lambda / 2) ||x - X||^2; the energy that force descends is
 *
 *     V(x) = E(g) + lambda (x.g - L(x) - X.g),   g = LayerNorm(x) = grad L(x),
 *
 * with L the LayerNorm's Lagrangian (per token, dim * gain * s + bias.x, s = sqrt(var(x) + eps)):
 * grad V = J (dE/dg + lambda (x - X)) with J = dg/dx, symmetric positive semidefinite, so V falls
 * along the flow. Per token x.g - L(x) = -dim * gain * eps / s, so the anchor's term is
 * lambda (-X.g - dim * gain * eps * sum over tokens of 1 / s).
 */
export function anchoredEnergyTransformerEnergy(config: { dim: number; heads: number; headDim: number; memories: number }, shape: readonly number[], lambda: number): Energy {
  const et = energyTransformerEnergy(config);
  const g = (x: Tensor, p: Record<string, Tensor>): Tensor => activated(et, x, p);
  return defineEnergy({
    name: "energy-transformer-anchored",
    params: { ...et.params, [ANCHOR_PARAM]: { shape } },
    terms: [
      ...et.terms.map((term) => ({ name: term.name, value: (x: Tensor, p: Record<string, Tensor>) => term.value(g(x, p), p as Params<(typeof ET_PARAMS)[number]>) })),
      {
        name: ANCHOR_TERM,
        value: (x: Tensor, p: Record<string, Tensor>) => {
          const centred = ops.sub(x, ops.mean(x, -1, true));
          const s = ops.sqrt(ops.add(ops.mean(ops.mul(centred, centred), -1), LAYER_NORM_EPS));
          const lagrangian = ops.mul(ops.mul(ops.sum(ops.div(1, s)), p["lnGain"]!), -config.dim * LAYER_NORM_EPS);
          return ops.mul(ops.sub(lagrangian, ops.sum(ops.mul(p[ANCHOR_PARAM]!, g(x, p)))), lambda);
        },
      },
    ],
  });
}

/**
 * The anchored ET step x <- x - alpha (dE/dg + lambda (x - X)): the Energy Transformer's own
 * step (energyTransformerStep, on the ET's terms through the LayerNorm) plus the anchor's pull.
 * Its force is not the gradient of V in x (see anchoredEnergyTransformerEnergy), so it is no
 * plain gradient step.
 */
export function anchoredEnergyTransformerStep(config: { dim: number; heads: number; headDim: number; memories: number }, stepSize: number, lambda: number): Step {
  const et = energyTransformerEnergy(config);
  const step = energyTransformerStep(et, { stepSize });
  return {
    name: "et-anchored",
    kind: "gradient",
    terms: [...et.terms.map((t) => t.name), ANCHOR_TERM],
    stepSize,
    apply: (x, p, alpha) => ops.sub(step.apply(x, p, alpha), ops.mul(ops.mul(ops.sub(x, p[ANCHOR_PARAM]!), lambda), alpha)),
  };
}

/**
 * The Energy Transformer iterated to its fixed point (model.fixedPoint): one map T, the ET's
 * descent step x - alpha dE/dg at the fixed step model.stepSize, plus the anchor's pull
 * alpha lambda (x - X) toward X = the embedded input. Without the anchor the layer has no fixed
 * point (x drifts along the directions LayerNorm removes, docs/fixed-points.md section 2); with
 * it those directions contract by 1 - alpha lambda per step (model.fixedPoint.anchor times
 * model.stepSize must stay below 2, which the config checks). The parameters are the unrolled
 * model's (`et.*`), so a checkpoint's parameters carry over; the head reads LayerNorm(x*). Y_0 = X.
 */
export function fixedPointEnergyTransformerModel(config: EnergyTransformerModelConfig, fixedPoint: FixedPointConfig, task: TaskData): TrainerModel {
  const { dim, heads, headDim, memories } = config;
  const tokens = task.input.tokens;
  const io = inputOutput(task, dim, config.head);
  // The unrolled model with a fixed step declares exactly these parameters: the embedding, the head and et.*.
  const specs = energyTransformerModel({ ...config, learnedStep: false }, task).specs;
  const lambda = fixedPoint.anchor;
  const et = energyTransformerEnergy({ dim, heads, headDim, memories });
  const map = layerMapsByBatch((batch) => ({
    energy: anchoredEnergyTransformerEnergy({ dim, heads, headDim, memories }, [batch, tokens, dim], lambda),
    steps: [anchoredEnergyTransformerStep({ dim, heads, headDim, memories }, config.stepSize, lambda)],
  }));
  const energyParams = (p: Record<string, Tensor>): Record<string, Tensor> => Object.fromEntries(ET_PARAMS.map((name) => [name, p[`et.${name}`]!]));

  const model: FixedPointModel = {
    config: fixedPoint,
    stateShape: (batch) => [batch, tokens, dim],
    map,
    start: ANCHOR_PARAM,
    mapParams: (input, p) => ({ ...energyParams(p), [ANCHOR_PARAM]: io.embed(input, p) }),
    head: (state, p) => io.head(activated(et, state, energyParams(p)), p),
  };

  return fixedPointTrainerModel(
    "energy-transformer",
    specs,
    model,
    () =>
      `fixed-point Energy Transformer: one descent step (size ${config.stepSize}) ${describeSolve(fixedPoint)}, ` +
      `anchor ${lambda}, dim ${dim}, ${heads} heads of ${headDim}, ${memories} memories, ${countParams(specs).toLocaleString("en-US")} parameters`,
  );
}
