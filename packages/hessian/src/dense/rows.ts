/**
 * C[c0 + j] += sum_r w_r B[b0 + r * stride + j] for j < len over `count` (<= 4) rows of B. Four
 * rows per pass load and store C's row a quarter as often: the plain one-row axpy is bound by
 * those stores, as the JIT cannot prove C and B apart. A zero weight skips its row, as the plain
 * loop did (a diagonal left factor, an MSE Lambda, stays O(n^2), and 0 * Infinity never appears):
 * then the rows go one at a time.
 */
export function addRows(C: Float64Array, c0: number, B: Float64Array, b0: number, stride: number, len: number, count: number, w0: number, w1: number, w2: number, w3: number): void {
  if (count === 4 && w0 !== 0 && w1 !== 0 && w2 !== 0 && w3 !== 0) {
    const b1 = b0 + stride;
    const b2 = b1 + stride;
    const b3 = b2 + stride;
    for (let j = 0; j < len; j++) C[c0 + j]! += w0 * B[b0 + j]! + w1 * B[b1 + j]! + w2 * B[b2 + j]! + w3 * B[b3 + j]!;
    return;
  }
  for (let r = 0; r < count; r++) {
    const w = r === 0 ? w0 : r === 1 ? w1 : r === 2 ? w2 : w3;
    if (w === 0) continue;
    const br = b0 + r * stride;
    for (let j = 0; j < len; j++) C[c0 + j]! += w * B[br + j]!;
  }
}
