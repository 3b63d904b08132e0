import { Random, ShapeError, UnfoldError } from "@unfold/core";
import type { LinearOperator } from "../curvature/operator.js";
import { dot, norm, unitGaussian } from "./vectors.js";

/** Options of `powerIteration`: iterations, tolerance, seed. */
export interface PowerIterationOptions {
  readonly iterations?: number;
  /** Stop when the Rayleigh quotient changes by less than this, relatively. */
  readonly tolerance?: number;
  readonly seed?: number;
}

/** The dominant eigenvalue and eigenvector found by power iteration. */
export interface PowerIterationResult {
  /** The eigenvalue of largest magnitude (with its sign), as a Rayleigh quotient. */
  readonly eigenvalue: number;
  readonly vector: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
}

/** The dominant eigenpair of a symmetric operator by power iteration on its products. */
export async function powerIteration(op: LinearOperator, options: PowerIterationOptions = {}): Promise<PowerIterationResult> {
  if (op.rows !== op.cols) throw new ShapeError("powerIteration", `needs a square operator, got ${op.rows} x ${op.cols}`);
  const iterations = options.iterations ?? 100;
  if (!Number.isInteger(iterations) || iterations < 1) throw new UnfoldError("powerIteration", `iterations must be an integer >= 1, got ${iterations}`);
  const tolerance = options.tolerance ?? 1e-10;
  let v = unitGaussian(new Random(options.seed ?? 0), op.cols);
  let eigenvalue = 0;
  for (let k = 1; k <= iterations; k++) {
    const hv = await op.apply(v);
    const next = dot(v, hv);
    const size = norm(hv);
    if (size === 0) return { eigenvalue: 0, vector: v, iterations: k, converged: true };
    const converged = k > 1 && Math.abs(next - eigenvalue) <= tolerance * Math.abs(next);
    eigenvalue = next;
    v = hv.map((x) => x / size);
    if (converged) return { eigenvalue, vector: v, iterations: k, converged: true };
  }
  return { eigenvalue, vector: v, iterations, converged: false };
}
