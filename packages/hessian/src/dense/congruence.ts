import { ShapeError } from "@unfold/core";
import { type Matrix, matmulInto } from "./matrix.js";
import { addRows } from "./rows.js";

/**
 * Adds the upper triangle (j <= k) of a^T p a, [a.cols, a.cols] row-major, into out from `offset`,
 * for a symmetric p: the second product is only summed where it is needed, half its cost, and
 * the caller's buffers take the place of per-call temporaries. `scratch` holds p a, so it needs
 * p.rows * a.cols values. The lower triangle of out is left as it was.
 */
export function addCongruenceUpper(out: Float64Array, offset: number, a: Matrix, p: Matrix, scratch: Float64Array): void {
  const n = a.cols;
  const rows = a.rows;
  if (p.rows !== rows || p.cols !== rows || scratch.length < rows * n || out.length < offset + n * n) {
    throw new ShapeError("addCongruenceUpper", `a ${rows} x ${n}, p ${p.rows} x ${p.cols}, scratch ${scratch.length}, out ${out.length} from ${offset}`);
  }
  matmulInto(scratch, p, a);
  const A = a.data;
  for (let k = 0; k < rows; k += 4) {
    const count = Math.min(4, rows - k);
    for (let j = 0; j < n; j++) {
      const ak = k * n + j;
      addRows(out, offset + j * n + j, scratch, k * n + j, n, n - j, count, A[ak]!, count > 1 ? A[ak + n]! : 0, count > 2 ? A[ak + 2 * n]! : 0, count > 3 ? A[ak + 3 * n]! : 0);
    }
  }
}
