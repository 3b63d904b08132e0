import { type DType, type HostTensor, type Random, type Shape, formatShape, hostTensor } from "@unfold/core";

/**
 * Seeded generators for the property-style cases: shapes that exercise broadcasting, size-1
 * axes and scalars, and data in each operation's domain. Everything is drawn from core's
 * Random, so a failure names a case and sample that reproduce exactly.
 */

/** A shape of rank in [minRank, maxRank]; each axis is 1 with probability `unit`, else in [2, maxDim]. */
export function randomShape(rng: Random, options: { minRank?: number; maxRank?: number; maxDim?: number; unit?: number } = {}): number[] {
  const { minRank = 0, maxRank = 4, maxDim = 5, unit = 0.25 } = options;
  const rank = rng.int(minRank, maxRank);
  return Array.from({ length: rank }, () => (rng.uniform() < unit ? 1 : rng.int(2, maxDim)));
}

/**
 * A shape that broadcasts to `out`: some leading axes dropped (probability `drop` for the
 * whole prefix), and each remaining axis set to 1 with probability `unit`.
 */
export function broadcastableTo(rng: Random, out: Shape, options: { drop?: number; unit?: number } = {}): number[] {
  const { drop = 0.3, unit = 0.35 } = options;
  const lead = rng.uniform() < drop ? rng.int(0, out.length) : 0;
  return out.slice(lead).map((d) => (rng.uniform() < unit ? 1 : d));
}

/** A random permutation of [0, n). */
export function permutation(rng: Random, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** A non-empty sorted subset of the axes of a rank-`rank` tensor (all of them sometimes). */
export function randomAxes(rng: Random, rank: number): number[] {
  if (rng.uniform() < 0.2) return Array.from({ length: rank }, (_, i) => i);
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => rng.uniform() < 0.5);
  return axes.length > 0 ? axes : [rng.int(0, rank - 1)];
}

/** A shape with `size` elements: its prime factors spread over a random rank, with some 1s. */
export function reshapeOf(rng: Random, size: number): number[] {
  const factors: number[] = [];
  let rest = size;
  for (let p = 2; rest > 1; p++) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  const rank = rng.int(Math.min(1, factors.length), Math.max(1, Math.min(4, factors.length + 1)));
  const shape = new Array<number>(rank).fill(1);
  for (const f of factors) shape[rng.int(0, rank - 1)]! *= f;
  return shape;
}

export const normals = (rng: Random, size: number, scale = 1, shift = 0): Float64Array => Float64Array.from(rng.normals(size, scale), (v) => v + shift);
export const uniforms = (rng: Random, size: number, lo: number, hi: number): Float64Array => rng.uniforms(size, lo, hi);

/** Integers in [lo, hi]: ties for comparisons and max/min, exact indices for gather. */
export const integers = (rng: Random, size: number, lo: number, hi: number): Float64Array => Float64Array.from({ length: size }, () => rng.int(lo, hi));

/** Values bounded away from zero: +-[lo, hi]. */
export const awayFromZero = (rng: Random, size: number, lo = 0.5, hi = 2): Float64Array =>
  Float64Array.from({ length: size }, () => (rng.uniform() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rng.uniform()));

/** Normals with about a fifth of the entries exactly zero (for sign, abs, relu). */
export function withZeros(rng: Random, size: number, scale = 1): Float64Array {
  return Float64Array.from({ length: size }, () => (rng.uniform() < 0.2 ? 0 : rng.normal() * scale));
}

/** One leaf of a case: its shape and host data (float64; rounded to the dtype when fed). */
export interface LeafData {
  readonly shape: Shape;
  readonly data: ArrayLike<number>;
  readonly kind?: "input" | "param";
  /** Overrides the case's dtype (mixed-dtype programs). */
  readonly dtype?: DType;
}

/** A leaf of a generated program: its shape, its values and whether it is an input or a parameter. */
export const leaf = (shape: Shape, data: ArrayLike<number>, kind: "input" | "param" = "input"): LeafData => ({ shape, data, kind });

/** Host tensors for the leaves, each rounded to its dtype: the very data both sides get. */
export function hostFeeds(leaves: Readonly<Record<string, LeafData>>, dtype: DType): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(leaves).map(([name, l]) => [name, hostTensor(l.data, l.shape, l.dtype ?? dtype)]));
}

/** "x [2, 3], w [3]": how a failing sample is reported. */
export function describeLeaves(leaves: Readonly<Record<string, LeafData>>): string {
  return Object.entries(leaves)
    .map(([name, l]) => `${name} ${formatShape(l.shape)}`)
    .join(", ");
}
