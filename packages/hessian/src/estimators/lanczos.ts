import { Random, ShapeError, UnfoldError, symmetricEigen } from "@unfold/core";
import type { LinearOperator } from "../curvature/operator.js";
import { dot, norm, unitGaussian } from "./vectors.js";

/** Options of `lanczos`: the Krylov dimension, the seed or a start vector. */
export interface LanczosOptions {
  /** Krylov dimension (products); capped at the operator's size. */
  readonly steps: number;
  readonly seed?: number;
  /** A start vector (normalized here); a random one by default. */
  readonly start?: Float64Array;
}

/** The Lanczos tridiagonal matrix and its Ritz values. */
export interface LanczosResult {
  /** Diagonal of the tridiagonal T. */
  readonly alpha: Float64Array;
  /** Off-diagonal of T (length steps - 1). */
  readonly beta: Float64Array;
  /** Ritz values (eigenvalues of T), ascending. */
  readonly ritzValues: Float64Array;
  /** For each Ritz value, the squared first component of its eigenvector of T: the quadrature weight. */
  readonly weights: Float64Array;
}

/**
 * Lanczos with full reorthogonalization (the sizes here are small enough to keep the basis, and
 * without it rounding makes copies of converged eigenvalues). The extreme Ritz values converge
 * to the extreme eigenvalues first.
 */
export async function lanczos(op: LinearOperator, options: LanczosOptions): Promise<LanczosResult> {
  if (op.rows !== op.cols) throw new ShapeError("lanczos", `needs a square operator, got ${op.rows} x ${op.cols}`);
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new UnfoldError("lanczos", `steps must be an integer >= 1, got ${options.steps}`);
  const n = op.cols;
  const steps = Math.min(options.steps, n);
  let q = options.start ? Float64Array.from(options.start) : unitGaussian(new Random(options.seed ?? 0), n);
  if (q.length !== n) throw new ShapeError("lanczos", `start vector has ${q.length} values, the operator is ${n} x ${n}`);
  const s = norm(q);
  q = q.map((x) => x / s);
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  for (let k = 0; k < steps; k++) {
    basis.push(q);
    const w = await op.apply(q);
    const a = dot(q, w);
    alpha.push(a);
    // Twice is enough (Kahan): orthogonalize against the whole basis two times.
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dot(b, w);
        for (let i = 0; i < n; i++) w[i]! -= c * b[i]!;
      }
    }
    const bNorm = norm(w);
    if (k === steps - 1 || bNorm <= 1e-12 * Math.max(1, Math.abs(a))) break; // invariant subspace found
    beta.push(bNorm);
    q = w.map((x) => x / bNorm);
  }
  const m = alpha.length;
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    t[i * m + i] = alpha[i]!;
    if (i + 1 < m) t[i * m + i + 1] = t[(i + 1) * m + i] = beta[i]!;
  }
  const { values, vectors } = symmetricEigen(t, m);
  const order = [...values.keys()].sort((i, j) => values[i]! - values[j]!);
  return {
    alpha: Float64Array.from(alpha),
    beta: Float64Array.from(beta.slice(0, m - 1)),
    ritzValues: Float64Array.from(order.map((i) => values[i]!)),
    weights: Float64Array.from(order.map((i) => vectors[i]! ** 2)),
  };
}

/** The k largest eigenvalues, descending, from the Ritz values of a Lanczos run. */
export async function topEigenvalues(op: LinearOperator, k: number, options: Partial<LanczosOptions> = {}): Promise<Float64Array> {
  if (!Number.isInteger(k) || k < 1) throw new UnfoldError("topEigenvalues", `k must be an integer >= 1, got ${k}`);
  const { ritzValues } = await lanczos(op, { steps: options.steps ?? Math.min(op.cols, Math.max(2 * k + 10, 30)), ...options });
  return Float64Array.from([...ritzValues].reverse().slice(0, k));
}
