import { Random, UnfoldError } from "@unfold/core";
import type { LinearOperator } from "../curvature/operator.js";
import { lanczos } from "./lanczos.js";
import { unitGaussian } from "./vectors.js";

/** Options of `spectralDensity`: Lanczos steps per probe, probes, seed. */
export interface SpectralDensityOptions {
  /** Lanczos steps per probe. */
  readonly steps: number;
  /** Random start vectors averaged over. */
  readonly probes: number;
  readonly seed?: number;
}

/** A discrete spectral measure: nodes with weights summing to 1 (to n when scaled by the size). */
export interface SpectralDensity {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

/**
 * Stochastic Lanczos quadrature: for a unit random v, v^T f(H) v is approximated by the Gauss
 * quadrature of T (Ritz values as nodes, squared first eigenvector components as weights);
 * averaging over probes estimates (1/n) tr f(H), i.e. the spectral density.
 */
export async function spectralDensity(op: LinearOperator, options: SpectralDensityOptions): Promise<SpectralDensity> {
  if (!Number.isInteger(options.probes) || options.probes < 1) throw new UnfoldError("spectralDensity", `probes must be an integer >= 1, got ${options.probes}`);
  const rng = new Random(options.seed ?? 0);
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let p = 0; p < options.probes; p++) {
    const run = await lanczos(op, { steps: options.steps, start: unitGaussian(rng, op.cols) });
    run.ritzValues.forEach((x, i) => {
      nodes.push(x);
      weights.push(run.weights[i]! / options.probes);
    });
  }
  return { nodes: Float64Array.from(nodes), weights: Float64Array.from(weights) };
}

/** (1/n) tr f(H) under a spectral density. */
export function densityTrace(density: SpectralDensity, f: (x: number) => number): number {
  let s = 0;
  density.nodes.forEach((x, i) => (s += density.weights[i]! * f(x)));
  return s;
}

/** The density smoothed by a Gaussian of width `width`, on a grid: for plotting. */
export function smoothDensity(density: SpectralDensity, grid: readonly number[], width: number): Float64Array {
  const c = 1 / (width * Math.sqrt(2 * Math.PI));
  return Float64Array.from(grid, (t) => densityTrace(density, (x) => c * Math.exp(-((t - x) ** 2) / (2 * width * width))));
}
