import { type Matrix, matmul, matrix } from "../dense/matrix.js";

/**
 * The attention moments of docs/mathematics.md, 'Attention moments', per query row i (a_i = row i of A):
 *   m_i   = X^T a_i                                   (M_1 = A X)
 *   M2_i  = sum_j a_ij (x_j - m_i)(x_j - m_i)^T       (the covariance of the tokens under a_i)
 *   M3_i[u] = sum_j a_ij ((x_j - m_i)^T u)(x_j - m_i)(x_j - m_i)^T
 * M2_i is d(A X)_i / dT_i pulled back to the tokens: it is why the Q and K blocks carry two more
 * powers of the data scale than the V block, and M3 (one more) is the softmax's curvature.
 */
export interface AttentionMoments {
  /** M_1 = A X, [L, d_V]. */
  readonly first: Matrix;
  /** M2_i, one [d_V, d_V] matrix per row. */
  readonly second: readonly Matrix[];
  /** M3_i[u], [d_V, d_V]. */
  third(i: number, u: ArrayLike<number>): Matrix;
}

/** The attention moments m_i, M2_i and M3_i[u] of every query row, from the weights A and the tokens X. */
export function attentionMoments(A: Matrix, X: Matrix): AttentionMoments {
  const L = X.rows;
  const d = X.cols;
  const first = matmul(A, X);
  // One scratch row for x_j - m_i, refilled per (i, j): a fresh array per pair was most of the
  // moments' cost at small d.
  const c = new Float64Array(d);
  const center = (i: number, j: number): void => {
    for (let p = 0; p < d; p++) c[p] = X.data[j * d + p]! - first.data[i * d + p]!;
  };
  /** m += w c c^T, as (w c_p) c_q. */
  const addOuter = (m: Float64Array, w: number): void => {
    for (let p = 0; p < d; p++) {
      const wp = w * c[p]!;
      for (let q = 0; q < d; q++) m[p * d + q]! += wp * c[q]!;
    }
  };
  const second: Matrix[] = [];
  for (let i = 0; i < L; i++) {
    const m2 = matrix(d, d);
    for (let j = 0; j < L; j++) {
      const a = A.data[i * L + j]!;
      if (a === 0) continue;
      center(i, j);
      addOuter(m2.data, a);
    }
    second.push(m2);
  }
  const third = (i: number, u: ArrayLike<number>): Matrix => {
    const m3 = matrix(d, d);
    for (let j = 0; j < L; j++) {
      const a = A.data[i * L + j]!;
      if (a === 0) continue;
      center(i, j);
      let cu = 0;
      for (let p = 0; p < d; p++) cu += c[p]! * u[p]!;
      addOuter(m3.data, a * cu);
    }
    return m3;
  };
  return { first, second, third };
}
