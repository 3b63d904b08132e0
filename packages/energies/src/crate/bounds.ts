import { type HostTensor, UnfoldError, symmetricEigen, toFloat64 } from "@unfold/core";
import { type CrateConfig, crateSettings, rateScale } from "./energy.js";

/** ||M||_2^2 of a rows x cols block: the largest eigenvalue of M^T M. */
function squaredSpectralNorm(m: ArrayLike<number>, offset: number, rows: number, cols: number): number {
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) for (let r = 0; r < rows; r++) gram[i * cols + j]! += m[offset + r * cols + i]! * m[offset + r * cols + j]!;
  return Math.max(0, ...symmetricEigen(gram, cols).values);
}

/** lambda_max(sum_k U_k U_k^T) for bases U [K, d, p], row-major: the largest eigenvalue of a d x d matrix. */
function jointSpectrum(u: ArrayLike<number>, heads: number, dim: number, headDim: number): number {
  const sum = new Float64Array(dim * dim);
  for (let k = 0; k < heads; k++) {
    const base = k * dim * headDim;
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) for (let j = 0; j < headDim; j++) sum[a * dim + b]! += u[base + a * headDim + j]! * u[base + b * headDim + j]!;
  }
  return Math.max(0, ...symmetricEigen(sum, dim).values);
}

/**
 * 1 / L with L = c lambda_max(sum_k U_k U_k^T) (c = p / (n eps^2)): a step size for
 * crateProximalStep on n = `tokens` tokens. Why L bounds the compression term's curvature: the
 * second derivative of 1/2 log det(I + c W^T W) along a direction D of W is
 * c tr(A^-1 D^T D) - c^2/2 ||A^-1/2 (W^T D + D^T W) A^-1/2||_F^2 <= c ||D||^2 (A = I + c W^T W >= I),
 * and along a direction H of Z each W_k = Z U_k moves along H U_k, so the curvature of R^c is at
 * most c sum_k ||H U_k||^2 = c tr(H (sum_k U_k U_k^T) H^T) <= L ||H||^2. It is attained at Z = 0
 * along H = e_1 v^T, v the top eigenvector of sum_k U_k U_k^T, so no smaller constant holds for
 * every Z. For incoherent orthonormal subspaces (sum_k U_k U_k^T a projection, as initCrateParams
 * makes when K p <= d) L = c; L never exceeds c sum_k ||U_k||_2^2, a looser bound by up to a
 * factor K.
 *
 * With the sparsity prox convex, a proximal gradient step of size alpha lowers R^c + lambda ||Z||_1
 * over Z >= 0 by at least (1/alpha - L/2) ||Z+ - Z||^2: any alpha < 2 / L descends, and 1 / L
 * (returned here) is the usual safe choice, half that limit.
 */
export function crateStepBound(config: CrateConfig, tokens: number, U: HostTensor): number {
  const { dim, heads, headDim, eps } = crateSettings("crateStepBound", config);
  if (U.shape.join() !== [heads, dim, headDim].join()) throw new UnfoldError("crateStepBound", `U must have shape [${heads}, ${dim}, ${headDim}], got [${U.shape.join(", ")}]`);
  return 1 / (rateScale(headDim, tokens, eps) * jointSpectrum(toFloat64(U), heads, dim, headDim));
}

/**
 * 1 / L with L = ||D||_2^2, the curvature of the reconstruction 1/2 ||X - Z D^T||^2: the usual safe
 * ISTA step. With the sparsity prox convex, a step of size eta lowers the sparse-coding objective
 * from Z >= 0 by at least (1/eta - L/2) ||Z+ - Z||^2, so every eta < 2 / L descends.
 */
export function istaStepBound(D: HostTensor): number {
  const [rows, cols] = D.shape as [number, number];
  if (D.shape.length !== 2 || rows !== cols) throw new UnfoldError("istaStepBound", `D must be a square matrix [d, d], got [${D.shape.join(", ")}]`);
  return 1 / squaredSpectralNorm(toFloat64(D), 0, rows, cols);
}
