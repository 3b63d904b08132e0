import type { Random } from "@unfold/core";

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));

/** Entries +1 or -1 with equal probability: the Hutchinson probe with the least variance. */
export function rademacher(rng: Random, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1));
}

export function unitGaussian(rng: Random, n: number): Float64Array {
  const v = rng.normals(n);
  const s = norm(v) || 1;
  for (let i = 0; i < n; i++) v[i]! /= s;
  return v;
}

/** Mean and standard error of the mean. */
export function meanAndError(samples: readonly number[]): { mean: number; stdError: number } {
  const n = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, stdError: Math.sqrt(variance / n) };
}
