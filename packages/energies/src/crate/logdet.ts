import { type Tensor, UnfoldError, ops } from "@unfold/core";

/**
 * log det A for symmetric positive definite matrices A [..., p, p], traced from the primitives:
 * an LDL^T factorization column by column (A = L diag(d) L^T, log det A = sum_j log d_j). A
 * positive definite matrix needs no pivoting, and the coding rate only ever factors I + c W^T W,
 * whose pivots are all at least 1. Autodiff differentiates it like any other traced function.
 */
export function logDetPositiveDefinite(A: Tensor): Tensor {
  const p = A.shape.at(-1)!;
  if (A.rank < 2 || A.shape.at(-2) !== p) throw new UnfoldError("logDetPositiveDefinite", `needs square matrices [..., p, p], got [${A.shape.join(", ")}]`);
  const batch = A.shape.slice(0, -2);
  const origin = batch.map(() => 0);
  const column = (j: number): Tensor => ops.reshape(ops.slice(A, [...origin, 0, j], [...batch, p, 1]), [...batch, p]);
  const entry = (v: Tensor, i: number): Tensor => ops.slice(v, [...origin, i], [...batch, 1]);
  const L: Tensor[] = [];
  const pivots: Tensor[] = [];
  for (let j = 0; j < p; j++) {
    // Rows >= j of column j of L diag(d), less what the earlier columns already account for.
    let v = column(j);
    for (let k = 0; k < j; k++) v = ops.sub(v, ops.mul(L[k]!, ops.mul(entry(L[k]!, j), pivots[k]!)));
    const pivot = entry(v, j);
    pivots.push(pivot);
    L.push(ops.div(v, pivot));
  }
  return ops.sum(ops.log(ops.concat(pivots, -1)), -1);
}
