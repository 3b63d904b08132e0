/**
 * The measures of CRATE's layer-by-layer figure, on the host in float64, for one example's
 * tokens Z [n, d] (row-major): the compression term R^c(Z; U) and the share of non-zero entries.
 */

/** log det of a symmetric positive definite p x p matrix by Cholesky; NaN if it is not positive definite. */
export function logDetCholesky(a: Float64Array, p: number): number {
  const L = new Float64Array(p * p);
  let logdet = 0;
  for (let j = 0; j < p; j++) {
    let pivot = a[j * p + j]!;
    for (let k = 0; k < j; k++) pivot -= L[j * p + k]! ** 2;
    if (!(pivot > 0)) return Number.NaN;
    const root = Math.sqrt(pivot);
    L[j * p + j] = root;
    logdet += 2 * Math.log(root);
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / root;
    }
  }
  return logdet;
}

/**
 * R^c(Z; U) = sum_k 1/2 log det(I + p / (n eps^2) (Z U_k)^T (Z U_k)) for tokens Z at `offset`
 * in `z` ([n, d]) and bases U [K, d, p].
 */
export function compressionOf(z: ArrayLike<number>, offset: number, n: number, d: number, U: ArrayLike<number>, K: number, p: number, eps: number): number {
  const c = p / (n * eps * eps);
  let total = 0;
  const W = new Float64Array(n * p);
  const A = new Float64Array(p * p);
  for (let k = 0; k < K; k++) {
    W.fill(0);
    for (let i = 0; i < n; i++) for (let r = 0; r < d; r++) {
      const zi = z[offset + i * d + r]!;
      if (zi !== 0) for (let j = 0; j < p; j++) W[i * p + j]! += zi * U[(k * d + r) * p + j]!;
    }
    for (let a = 0; a < p; a++) for (let b = a; b < p; b++) {
      let g = 0;
      for (let i = 0; i < n; i++) g += W[i * p + a]! * W[i * p + b]!;
      A[a * p + b] = A[b * p + a] = (a === b ? 1 : 0) + c * g;
    }
    total += 0.5 * logDetCholesky(A, p);
  }
  return total;
}

/** ||Z||_0 / (n d): the share of non-zero entries (the CRATE papers' sparsity measure; lower is sparser). */
export function nonZeroShare(z: ArrayLike<number>, offset: number, size: number): number {
  let count = 0;
  for (let i = 0; i < size; i++) if (z[offset + i] !== 0) count++;
  return count / size;
}
