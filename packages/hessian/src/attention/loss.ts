import { type Matrix, matrix } from "../dense/matrix.js";
import type { LossKind } from "./instance.js";

/**
 * A loss that is a sum of per-row terms of F has a block-diagonal Hessian in F: what the
 * closed form needs is each row's gradient g_i = dl/dF_i and Hessian Lambda_i = d2l/dF_i^2.
 */
export interface RowLossDerivatives {
  readonly value: number;
  /** Row i is g_i, [L, d_out]. */
  readonly gradient: Matrix;
  /** Lambda_i, one [d_out, d_out] matrix per row. */
  readonly rowHessians: readonly Matrix[];
}

/** The loss value, its gradient in F and each row's Hessian Lambda_i (c I for MSE, the softmax covariance for cross-entropy). */
export function rowLossDerivatives(F: Matrix, target: Matrix, loss: LossKind): RowLossDerivatives {
  return loss === "mse" ? meanSquaredError(F, target) : crossEntropyRows(F, target);
}

/** l = 1/(L d) ||F - Y||^2: g_i = c r_i, Lambda_i = c I with c = 2/(L d). */
function meanSquaredError(F: Matrix, target: Matrix): RowLossDerivatives {
  const { rows: L, cols: d } = F;
  const c = 2 / (L * d);
  const gradient = matrix(L, d);
  let value = 0;
  for (let k = 0; k < F.data.length; k++) {
    const r = F.data[k]! - target.data[k]!;
    value += (r * r) / (L * d);
    gradient.data[k] = c * r;
  }
  const lambda = matrix(d, d);
  for (let q = 0; q < d; q++) lambda.data[q * d + q] = c;
  return { value, gradient, rowHessians: new Array<Matrix>(L).fill(lambda) };
}

/**
 * l = 1/L sum_i -y_i^T log softmax(F_i): g_i = (|y_i| p_i - y_i)/L and
 * Lambda_i = |y_i| (diag(p_i) - p_i p_i^T)/L, with |y_i| the row sum of the target (1 for labels).
 */
function crossEntropyRows(F: Matrix, target: Matrix): RowLossDerivatives {
  const { rows: L, cols: d } = F;
  const gradient = matrix(L, d);
  const rowHessians: Matrix[] = [];
  let value = 0;
  for (let i = 0; i < L; i++) {
    let max = -Infinity;
    for (let q = 0; q < d; q++) max = Math.max(max, F.data[i * d + q]!);
    let sum = 0;
    for (let q = 0; q < d; q++) sum += Math.exp(F.data[i * d + q]! - max);
    const logZ = max + Math.log(sum);
    const p = Float64Array.from({ length: d }, (_, q) => Math.exp(F.data[i * d + q]! - logZ));
    let mass = 0;
    for (let q = 0; q < d; q++) {
      const y = target.data[i * d + q]!;
      mass += y;
      value -= (y * (F.data[i * d + q]! - logZ)) / L;
    }
    for (let q = 0; q < d; q++) gradient.data[i * d + q] = (mass * p[q]! - target.data[i * d + q]!) / L;
    const lambda = matrix(d, d);
    for (let q = 0; q < d; q++) {
      for (let r = 0; r < d; r++) lambda.data[q * d + r] = (mass * ((q === r ? p[q]! : 0) - p[q]! * p[r]!)) / L;
    }
    rowHessians.push(lambda);
  }
  return { value, gradient, rowHessians };
}
