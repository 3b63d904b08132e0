import { ShapeError } from "@unfold/core";
import { type Matrix, matrix } from "../dense/matrix.js";

/**
 * H = scale * sum_i (x_i x_i^T) kron S_i for symmetric S_i [d_K, d_K] (row i of X is x_i), the
 * shape of H(Q,Q). Block (a, a') of H is sum_i scale x_ia x_ia' S_i: symmetric, and equal to block
 * (a', a). So only pairs a <= a' and entries b <= b' are computed, a quarter of the full
 * L d_V^2 d_K^2, as a product of the packed pair weights [pairs, L] with the packed factors
 * [L, d_K (d_K + 1) / 2]; every entry of H is then written along a row, never down a column.
 *
 * `factors` holds S_0 .. S_{L-1} row-major, L d_K^2 values; only their upper triangles are read.
 *
 * At d_V = d_K = 64 (H is 134 MB) about two thirds of the time is the first touch and one write
 * of H's fresh pages, the rest this product: the order of the writes made no measurable difference.
 */
export function symmetricKronSum(X: Matrix, factors: Float64Array, dK: number, scale = 1): Matrix {
  const { rows: L, cols: dV } = X;
  if (factors.length !== L * dK * dK) throw new ShapeError("symmetricKronSum", `${factors.length} values are not ${L} factors of ${dK} x ${dK}`);
  const h = matrix(dV * dK, dV * dK);
  const tri = (dK * (dK + 1)) / 2;
  const packed = packFactors(factors, L, dK, tri);
  const pairCount = (dV * (dV + 1)) / 2;
  const first = new Int32Array(pairCount);
  const second = new Int32Array(pairCount);
  const weights = new Float64Array(pairCount * L);
  let p = 0;
  for (let a = 0; a < dV; a++) {
    for (let a2 = a; a2 < dV; a2++, p++) {
      first[p] = a;
      second[p] = a2;
      for (let i = 0; i < L; i++) weights[p * L + i] = scale * X.data[i * dV + a]! * X.data[i * dV + a2]!;
    }
  }
  // PAIRS blocks per pass share every load of the packed factors; their results wait in `tiles`
  // (PAIRS * tri values, 66 KB at d_K = 64) until they are written out.
  const tiles = new Float64Array(PAIRS * tri);
  for (let p0 = 0; p0 < pairCount; p0 += PAIRS) {
    const count = Math.min(PAIRS, pairCount - p0);
    if (count === PAIRS) combineFour(tiles, weights, packed, p0, L, tri);
    else for (let k = 0; k < count; k++) combineOne(tiles, k * tri, weights, packed, p0 + k, L, tri);
    for (let k = 0; k < count; k++) writeBlock(h.data, tiles, k * tri, first[p0 + k]!, second[p0 + k]!, dK, dV * dK);
  }
  return h;
}

/** Pairs per pass of the inner product kernel: 4 pairs x 2 entries keeps 8 sums in registers. */
const PAIRS = 4;

/**
 * The upper triangles of the factors, transposed so each packed entry t = (b <= b') holds its L
 * values contiguously: the inner loop over rows i then reads both operands with unit stride.
 */
function packFactors(factors: Float64Array, L: number, dK: number, tri: number): Float64Array {
  const packed = new Float64Array(tri * L);
  const kk = dK * dK;
  for (let i = 0; i < L; i++) {
    let t = 0;
    for (let b = 0; b < dK; b++) for (let b2 = b; b2 < dK; b2++, t++) packed[t * L + i] = factors[i * kk + b * dK + b2]!;
  }
  return packed;
}

/** tiles[k][t] = sum_i weights[p0 + k][i] packed[t][i] for k < 4: two entries t per step. */
function combineFour(tiles: Float64Array, weights: Float64Array, packed: Float64Array, p0: number, L: number, tri: number): void {
  const w0 = p0 * L;
  const w1 = w0 + L;
  const w2 = w1 + L;
  const w3 = w2 + L;
  let t = 0;
  for (; t + 2 <= tri; t += 2) {
    const f0 = t * L;
    const f1 = f0 + L;
    let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
    for (let i = 0; i < L; i++) {
      const g0 = packed[f0 + i]!;
      const g1 = packed[f1 + i]!;
      const v0 = weights[w0 + i]!;
      s00 += v0 * g0;
      s01 += v0 * g1;
      const v1 = weights[w1 + i]!;
      s10 += v1 * g0;
      s11 += v1 * g1;
      const v2 = weights[w2 + i]!;
      s20 += v2 * g0;
      s21 += v2 * g1;
      const v3 = weights[w3 + i]!;
      s30 += v3 * g0;
      s31 += v3 * g1;
    }
    tiles[t] = s00;
    tiles[t + 1] = s01;
    tiles[tri + t] = s10;
    tiles[tri + t + 1] = s11;
    tiles[2 * tri + t] = s20;
    tiles[2 * tri + t + 1] = s21;
    tiles[3 * tri + t] = s30;
    tiles[3 * tri + t + 1] = s31;
  }
  for (; t < tri; t++) for (let k = 0; k < 4; k++) tiles[k * tri + t] = dot(weights, (p0 + k) * L, packed, t * L, L);
}

/** One pair's packed block, for the pairs left over after the passes of four. */
function combineOne(tiles: Float64Array, out: number, weights: Float64Array, packed: Float64Array, p: number, L: number, tri: number): void {
  for (let t = 0; t < tri; t++) tiles[out + t] = dot(weights, p * L, packed, t * L, L);
}

function dot(u: Float64Array, uStart: number, v: Float64Array, vStart: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += u[uStart + i]! * v[vStart + i]!;
  return s;
}

/**
 * Unpacks one symmetric block (a, a2) into H row by row: row b of the block is read from the
 * packed upper triangle (down its column b for b' < b, an L1-resident stride) and written to
 * rows (a, b) and, when a2 != a, (a2, b) of H, both contiguous.
 */
function writeBlock(h: Float64Array, tiles: Float64Array, start: number, a: number, a2: number, dK: number, n: number): void {
  for (let b = 0; b < dK; b++) {
    const base = (a * dK + b) * n + a2 * dK;
    const mirror = (a2 * dK + b) * n + a * dK;
    // Packed row b' starts at b' dK - b'(b'+1)/2, an integer: shifting keeps the index an int.
    let b2 = 0;
    for (; b2 < b; b2++) {
      const v = tiles[start + ((b2 * (2 * dK - b2 - 1)) >> 1) + b]!;
      h[base + b2] = v;
      h[mirror + b2] = v;
    }
    const row = start + ((b * (2 * dK - b - 1)) >> 1);
    for (; b2 < dK; b2++) {
      const v = tiles[row + b2]!;
      h[base + b2] = v;
      h[mirror + b2] = v;
    }
  }
}
