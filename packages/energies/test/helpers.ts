import { type Program, type Random, interpret } from "@unfold/core";

export function run(program: Program, feeds: Record<string, ArrayLike<number>>): Record<string, Float64Array> {
  const out = interpret(program, new Map(Object.entries(feeds).map(([k, v]) => [k, Float64Array.from(v)])));
  return Object.fromEntries(out);
}

export function scalar(program: Program, feeds: Record<string, ArrayLike<number>>, name: string): number {
  return run(program, feeds)[name]![0]!;
}

/** Row-major product of an n x k and a k x m matrix, plain loops. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) out[i * m + j]! += a[i * k + p]! * b[p * m + j]!;
  return out;
}

export function randomSymmetric(rng: Random, d: number, scale: number): Float64Array {
  const m = rng.normals(d * d, scale);
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s[i * d + j] = (m[i * d + j]! + m[j * d + i]!) / 2;
  return s;
}
