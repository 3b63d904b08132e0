import { type Energy, type Tensor, defineEnergy, proximalStep, termNamed } from "@unfold/core";
import { CRATE_COMPRESSION_TERM, CRATE_SPARSITY_TERM, RECONSTRUCTION_TERM, crateEnergy, sparseCodingEnergy } from "@unfold/energies";
import { countParams } from "@unfold/nn";
import type { CrateModelConfig, FixedPointConfig } from "../config/schema.js";
import type { FixedPointModel } from "../fixed-point/model.js";
import type { TaskData } from "../task/task.js";
import { crateModel } from "./crate.js";
import { inputOutput } from "./embedding.js";
import { describeSolve, fixedPointTrainerModel, layerMapsByBatch } from "./fixed-point-trainer-model.js";
import { type TrainerModel, layerPrefix } from "./model.js";
import { ANCHOR_PARAM, ANCHOR_TERM, anchorEnergy } from "./yang-fixed-point.js";

/** What the anchored CRATE energy is sized by: CRATE's subspaces and sparsity, and the token count. */
export interface AnchoredCrateSettings {
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  readonly eps: number;
  /** The sparsity weight of lambda ||Z||_1. */
  readonly lambda: number;
  readonly tokens: number;
}

/**
 * CRATE's energy for a fixed point, on codes Z [batch, tokens, dim], with parameters U (the
 * subspace bases), D (the dictionary) and X (the embedded input, [batch, tokens, dim]):
 *
 *     R^c(Z; U) + 1/2 ||X - Z D^T||^2 + lambda ||Z||_1 + (anchor / 2) ||Z - X||^2,
 *
 * the compression term (whose closed-form step is MSSA), the sparse coding of the input X in D
 * and its sparsity term (the ISTA step's gradient and prox), and the anchor.
 */
export function anchoredCrateEnergy(settings: AnchoredCrateSettings, shape: readonly number[], anchor: number): Energy {
  const { dim, heads, headDim, eps, lambda, tokens } = settings;
  const crate = crateEnergy({ dim, heads, headDim, eps, lambda });
  const coding = sparseCodingEnergy({ dim, tokens, lambda });
  return defineEnergy({
    name: "crate-anchored",
    params: { U: crate.params.U, D: coding.params.D, [ANCHOR_PARAM]: { shape } },
    terms: [
      termNamed(crate, CRATE_COMPRESSION_TERM),
      termNamed(coding, RECONSTRUCTION_TERM),
      termNamed(crate, CRATE_SPARSITY_TERM),
      termNamed(anchorEnergy(shape, anchor), ANCHOR_TERM),
    ],
  });
}

/**
 * CRATE iterated to its fixed point (model.fixedPoint): one tied map T, a proximal gradient step
 * of size eta = model.istaStep on the anchored CRATE energy (anchoredCrateEnergy) with the
 * sparsity term's prox, the non-negative soft threshold:
 *
 *     T(Z) = ReLU(Z - eta (grad R^c(Z; U) - (X - Z D^T) D + anchor (Z - X)) - eta lambda),
 *
 * X = embed(x). It is the unrolled layer's two halves in one step, with two changes a fixed
 * point needs. The compression half follows the exact gradient of R^c, which MSSA approximates:
 * MSSA's step (1 - kappa c) Z + kappa c MSSA(Z) assumes orthonormal bases, and with the trainer's
 * Gaussian U (where c lambda_max(sum_k U_k U_k^T) exceeds 1) it expands the state, so iterated
 * it diverges (docs/fixed-points.md, section 6); model.mssaStep does not apply. The ISTA half
 * codes the input X rather than the layer's own compressed tokens: the unrolled block's
 * self-coding, iterated, forgets the input (with D near the identity it shrinks every code to
 * zero). The energy is bounded below and coercive, so the step descends it for eta below
 * 2 / (c lambda_max(sum_k U_k U_k^T) + ||D||_2^2 + anchor). The parameters are the unrolled
 * tied model's (`shared.U`, `shared.D`), so a checkpoint's parameters carry over. Z_0 = X.
 */
export function fixedPointCrateModel(config: CrateModelConfig, fixedPoint: FixedPointConfig, task: TaskData): TrainerModel {
  const { dim, heads, eps, lambda } = config;
  const headDim = config.headDim ?? dim / heads;
  const tokens = task.input.tokens;
  const io = inputOutput(task, dim, config.head ?? "flatten");
  // The unrolled tied model declares exactly these parameters: the embedding, the head and shared.U, shared.D.
  const specs = crateModel({ ...config, tied: true }, task).specs;
  const prefix = layerPrefix(true, 0);
  const anchor = fixedPoint.anchor;
  const map = layerMapsByBatch((batch) => {
    const energy = anchoredCrateEnergy({ dim, heads, headDim, eps, lambda, tokens }, [batch, tokens, dim], anchor);
    const step = proximalStep(energy, { terms: [CRATE_COMPRESSION_TERM, RECONSTRUCTION_TERM, ANCHOR_TERM], proxTerm: CRATE_SPARSITY_TERM, stepSize: config.istaStep, name: "compress-ista" });
    return { energy, steps: [step] };
  });

  const model: FixedPointModel = {
    config: fixedPoint,
    stateShape: (batch) => [batch, tokens, dim],
    map,
    start: ANCHOR_PARAM,
    mapParams: (input: Tensor, p: Record<string, Tensor>) => ({ U: p[`${prefix}.U`]!, D: p[`${prefix}.D`]!, [ANCHOR_PARAM]: io.embed(input, p) }),
    head: (state, p) => io.head(state, p),
  };

  return fixedPointTrainerModel(
    "crate",
    specs,
    model,
    () =>
      `fixed-point CRATE: one tied proximal step (compression, coding of the input, anchor; size ${config.istaStep}) ${describeSolve(fixedPoint)}, ` +
      `anchor ${anchor}, dim ${dim}, ${heads} subspaces of ${headDim}, lambda ${lambda}, ${countParams(specs).toLocaleString("en-US")} parameters`,
  );
}
