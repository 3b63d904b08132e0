import { type HostTensor, Random, hostTensor } from "@unfold/core";

/** Normal float32 data for a shape, from a fixed seed. */
export function normals(shape: readonly number[], seed: number, scale = 1): HostTensor {
  const rng = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return hostTensor(Float32Array.from({ length: size }, () => rng.normal() * scale), shape, "float32");
}

/** Largest |a - b| / (1 + |b|) over two arrays. */
export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}
