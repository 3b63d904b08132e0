import { type Matrix, matmul, matrix, transpose } from "../dense/matrix.js";
import { type AttentionDims, type AttentionInstance, attentionDims } from "./instance.js";
import { type RowLossDerivatives, rowLossDerivatives } from "./loss.js";

/** The forward pass on the host, and everything the closed-form blocks are built from. */
export interface AttentionForward {
  readonly dims: AttentionDims;
  /** Logits T = X W_Q W_K^T X^T / sqrt(d_K), [L, L]. */
  readonly T: Matrix;
  /** Attention A = softmax_row(T), [L, L]. */
  readonly A: Matrix;
  /** Output F = A X W_V, [L, d_out]. */
  readonly F: Matrix;
  readonly loss: RowLossDerivatives;
}

/** The forward pass of an attention instance in float64: T, the attention weights A, the output F and the loss's derivatives. */
export function attentionForward(instance: AttentionInstance, op = "attentionForward"): AttentionForward {
  const dims = attentionDims(instance, op);
  const { X, WQ, WK, WV } = instance;
  const queries = matmul(X, WQ);
  const keys = matmul(X, WK);
  const T = matmul(queries, transpose(keys));
  const s = 1 / Math.sqrt(dims.key);
  for (let i = 0; i < T.data.length; i++) T.data[i]! *= s;
  const A = softmaxRows(T);
  const F = matmul(A, matmul(X, WV));
  return { dims, T, A, F, loss: rowLossDerivatives(F, instance.target, instance.loss) };
}

/** Row softmax with the row maximum subtracted, so no exponential overflows. */
export function softmaxRows(t: Matrix): Matrix {
  const a = matrix(t.rows, t.cols);
  for (let i = 0; i < t.rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < t.cols; j++) max = Math.max(max, t.data[i * t.cols + j]!);
    let sum = 0;
    for (let j = 0; j < t.cols; j++) sum += a.data[i * t.cols + j] = Math.exp(t.data[i * t.cols + j]! - max);
    for (let j = 0; j < t.cols; j++) a.data[i * t.cols + j]! /= sum;
  }
  return a;
}

/** M_1 = A X: row i is the attention-weighted mean m_i of the tokens. */
export const firstMoment = (A: Matrix, X: Matrix): Matrix => matmul(A, X);
