import { type Backend, Random, ReferenceBackend, UnfoldError } from "@unfold/core";
import { CurvatureProducts } from "../curvature/operator.js";
import type { ProductKind } from "../curvature/programs.js";
import { dot, rademacher } from "../estimators/vectors.js";
import { ADDITION_VOCAB } from "../data/addition.js";
import { type ModelPoint, additionTransformer, deepLinearPoint } from "../models/instances.js";
import { logGrid, logLogSlope } from "./fit.js";

/** The curves of the growth-rate study, and the log-log slope each is predicted to have. */
export const PREDICTED_SLOPES = {
  V_outer: 2,
  V_functional: 0,
  V_full: 2,
  Q_outer: 6,
  Q_functional: 5,
  Q_full: 5,
  linear_Q: 6,
  preln_Q: 0,
  mlp: 2,
} as const;
/** One curve of the growth-rate study. */
export type ScalingSeries = keyof typeof PREDICTED_SLOPES;
/** Every curve of the growth-rate study. */
export const SCALING_SERIES = Object.keys(PREDICTED_SLOPES) as ScalingSeries[];

/** Options of `scalingStudy`: the grid of data scales, seeds, probes, batch and the fit range. */
export interface ScalingOptions {
  readonly dModel: number;
  readonly sigmas: readonly number[];
  readonly seeds: number;
  /** Hutchinson probes per block, per sigma and seed. */
  readonly samples: number;
  /** Addition problems per batch. */
  readonly batch: number;
  /** Slopes are fitted on the sigmas inside [lo, hi]: below softmax saturation. */
  readonly fitRange: readonly [number, number];
  readonly mlpDepth?: number;
  readonly backend?: Backend;
  /** Called with one line per data scale and seed. */
  readonly onProgress?: (message: string) => void;
}

/** The block norms per data scale, the fitted log-log slopes and the predicted ones. */
export interface ScalingResult {
  readonly sigmas: readonly number[];
  /** Per series, per sigma: the geometric mean over seeds of the block's Frobenius norm. */
  readonly norms: Record<ScalingSeries, number[]>;
  readonly slopes: Record<ScalingSeries, number>;
  /** Series whose block was exactly zero at every point (slope reported as 0). */
  readonly identicallyZero: ScalingSeries[];
  readonly fitRange: readonly [number, number];
  readonly fitSigmas: readonly number[];
  readonly predicted: typeof PREDICTED_SLOPES;
}

/** The quick grid: 10 sigmas on 1e-2..1e1, 3 seeds, d_model 16 (the paper: 20 points, 20 seeds, d 128). */
export const QUICK_SCALING: Omit<ScalingOptions, "backend" | "onProgress"> = {
  dModel: 16,
  sigmas: logGrid(1e-2, 1e1, 10),
  seeds: 3,
  samples: 6,
  batch: 8,
  fitRange: [1e-2, 0.1],
};

/** The full grid: 20 sigmas on 1e-2..1e1, 5 seeds, d_model 32. */
export const FULL_SCALING: Omit<ScalingOptions, "backend" | "onProgress"> = {
  dModel: 32,
  sigmas: logGrid(1e-2, 1e1, 20),
  seeds: 5,
  samples: 10,
  batch: 16,
  fitRange: [1e-2, 0.1],
};

/** Squared Frobenius norms of one block's parts from shared Rademacher probes. */
async function blockNorms(products: CurvatureProducts, param: string, samples: number, rng: Random): Promise<Partial<Record<ProductKind, number>>> {
  const { layout } = products;
  const offset = layout.offset(param);
  const size = layout.blockSize(param);
  const sums: Partial<Record<ProductKind, number>> = {};
  for (let s = 0; s < samples; s++) {
    const v = new Float64Array(layout.size);
    v.set(rademacher(rng, size), offset);
    const out = await products.applyAll(v);
    const parts: Partial<Record<ProductKind, Float64Array>> = { ...out };
    // H = GGN + H_f on the same probe, so the full block's norm needs no third product.
    if (out.ggn && out.functional && !out.hessian) parts.hessian = out.ggn.map((g, i) => g + out.functional![i]!);
    for (const [kind, hv] of Object.entries(parts) as [ProductKind, Float64Array][]) {
      const block = hv.subarray(offset, offset + size);
      sums[kind] = (sums[kind] ?? 0) + dot(block, block) / samples;
    }
  }
  return sums;
}

async function measure(backend: Backend, point: ModelPoint, kinds: readonly ProductKind[], params: readonly string[], samples: number, seed: number) {
  const products = await CurvatureProducts.create(backend, point.model, { theta: point.theta, inputs: point.inputs, kinds });
  const rng = new Random(seed);
  const result: Record<string, Partial<Record<ProductKind, number>>> = {};
  for (const p of params) result[p] = await blockNorms(products, p, samples, rng);
  products.dispose();
  return result;
}

/**
 * The growth-rate study (docs/mathematics.md, 'Growth with the data scale'): at fixed weights, scale the data by sigma and follow
 * the Frobenius norms of the V and Q blocks of H, of the Gauss-Newton part and of the functional
 * part (Hutchinson), for softmax attention; of the Q block for linear and pre-LN attention; and
 * of the first weight's block of a deep linear MLP. Slopes are fitted in log-log below saturation.
 */
export async function scalingStudy(options: ScalingOptions): Promise<ScalingResult> {
  const { sigmas, seeds, samples, batch, dModel } = options;
  if (sigmas.length < 2) throw new UnfoldError("scalingStudy", `needs at least 2 sigmas, got ${sigmas.length}`);
  if (!Number.isInteger(seeds) || seeds < 1) throw new UnfoldError("scalingStudy", `seeds must be an integer >= 1, got ${seeds}`);
  const [lo, hi] = options.fitRange;
  const fitSigmas = sigmas.filter((s) => s >= lo * (1 - 1e-9) && s <= hi * (1 + 1e-9));
  if (fitSigmas.length < 2) throw new UnfoldError("scalingStudy", `the fit range [${lo}, ${hi}] holds ${fitSigmas.length} of the sigmas; it needs at least 2`);
  const backend = options.backend ?? new ReferenceBackend();
  const logSums = Object.fromEntries(SCALING_SERIES.map((s) => [s, sigmas.map(() => 0)])) as Record<ScalingSeries, number[]>;
  const zero = Object.fromEntries(SCALING_SERIES.map((s) => [s, true])) as Record<ScalingSeries, boolean>;
  const record = (series: ScalingSeries, k: number, squared: number | undefined): void => {
    const value = Math.sqrt(squared ?? 0);
    if (value > 0) zero[series] = false;
    logSums[series][k]! += Math.log(Math.max(value, Number.MIN_VALUE)) / seeds;
  };
  for (let seed = 1; seed <= seeds; seed++) {
    for (const [k, sigma] of sigmas.entries()) {
      const common = { dModel, batch, seed, sigma };
      const softmax = await measure(backend, additionTransformer(common), ["ggn", "functional"], ["V", "Q"], samples, seed);
      record("V_outer", k, softmax["V"]!.ggn);
      record("V_functional", k, softmax["V"]!.functional);
      record("V_full", k, softmax["V"]!.hessian);
      record("Q_outer", k, softmax["Q"]!.ggn);
      record("Q_functional", k, softmax["Q"]!.functional);
      record("Q_full", k, softmax["Q"]!.hessian);
      const linear = await measure(backend, additionTransformer({ ...common, variant: "linear" }), ["hessian"], ["Q"], samples, seed);
      record("linear_Q", k, linear["Q"]!.hessian);
      const preln = await measure(backend, additionTransformer({ ...common, variant: "preln" }), ["hessian"], ["Q"], samples, seed);
      record("preln_Q", k, preln["Q"]!.hessian);
      const mlpPoint = deepLinearPoint({ dModel, classes: ADDITION_VOCAB.length, batch: batch * 6, depth: options.mlpDepth ?? 3, seed, sigma });
      const mlp = await measure(backend, mlpPoint, ["hessian"], ["W.0"], samples, seed);
      record("mlp", k, mlp["W.0"]!.hessian);
      options.onProgress?.(`seed ${seed}/${seeds}, sigma ${sigma.toExponential(2)} (${k + 1}/${sigmas.length})`);
    }
  }
  const norms = Object.fromEntries(SCALING_SERIES.map((s) => [s, logSums[s].map((l) => (zero[s] ? 0 : Math.exp(l)))])) as Record<ScalingSeries, number[]>;
  const fitIndex = sigmas.flatMap((s, i) => (fitSigmas.includes(s) ? [i] : []));
  const identicallyZero = SCALING_SERIES.filter((s) => zero[s]);
  const slopes = Object.fromEntries(
    SCALING_SERIES.map((s) => [s, zero[s] ? 0 : logLogSlope(fitIndex.map((i) => sigmas[i]!), fitIndex.map((i) => norms[s][i]!))]),
  ) as Record<ScalingSeries, number>;
  return { sigmas, norms, slopes, identicallyZero, fitRange: options.fitRange, fitSigmas, predicted: PREDICTED_SLOPES };
}
