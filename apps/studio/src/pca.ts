// The tokens' projection: one principal-component basis fitted to the tokens of every layer at
// once, so that a token's trail across layers is drawn in one frame.
import { symmetricEigen } from "@unfold/core";

/** Points (rows of `dim` values) projected onto the top principal components. */
export interface Projection {
  /** For each input array, `components` coordinates per point, point-major. */
  readonly coordinates: Float64Array[];
  readonly components: number;
  /** Share of the variance the kept components explain, in [0, 1]. */
  readonly explained: number;
}

/**
 * Projects every array of points (each `points * dim` values, rows of `dim`) onto the top
 * `components` principal components of all of them together. Points of fewer dimensions than
 * `components` get all their own components, the missing ones zero.
 */
export function projectPca(arrays: readonly Float64Array[], dim: number, components: number): Projection {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`PCA: dim must be a positive integer, got ${dim}`);
  for (const [i, a] of arrays.entries()) {
    if (a.length % dim !== 0) throw new Error(`PCA: array ${i} has ${a.length} values, not a whole number of ${dim}-dimensional points`);
  }
  const mean = new Float64Array(dim);
  let count = 0;
  for (const a of arrays) {
    for (let p = 0; p < a.length; p += dim) for (let j = 0; j < dim; j++) mean[j]! += a[p + j]!;
    count += a.length / dim;
  }
  if (count === 0) return { coordinates: arrays.map(() => new Float64Array(0)), components, explained: 1 };
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  const cov = new Float64Array(dim * dim);
  for (const a of arrays) {
    for (let p = 0; p < a.length; p += dim) {
      for (let i = 0; i < dim; i++) {
        const di = a[p + i]! - mean[i]!;
        for (let j = i; j < dim; j++) cov[i * dim + j]! += di * (a[p + j]! - mean[j]!);
      }
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov[i * dim + j] = cov[j * dim + i]!;
  const { values, vectors } = symmetricEigen(cov, dim);
  const order = Array.from(values.keys()).sort((x, y) => values[y]! - values[x]!);
  const kept = order.slice(0, Math.min(components, dim));
  // A component's sign is fixed (largest entry positive) so the picture does not flip between runs.
  const basis = kept.map((k) => {
    const column = Array.from({ length: dim }, (_, i) => vectors[i * dim + k]!);
    const big = column.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
    return big < 0 ? column.map((v) => -v) : column;
  });
  const total = values.reduce((s, v) => s + Math.max(v, 0), 0);
  const explained = total > 0 ? kept.reduce((s, k) => s + Math.max(values[k]!, 0), 0) / total : 1;
  const coordinates = arrays.map((a) => {
    const n = a.length / dim;
    const out = new Float64Array(n * components);
    for (let p = 0; p < n; p++) {
      basis.forEach((b, c) => {
        let s = 0;
        for (let j = 0; j < dim; j++) s += (a[p * dim + j]! - mean[j]!) * b[j]!;
        out[p * components + c] = s;
      });
    }
    return out;
  });
  return { coordinates, components, explained };
}
