import { type HostTensor, type Random, hostTensor } from "@unfold/core";

/** W_s = W_a^T W_a for one head, with plain loops. */
export function metricFromWa(Wa: ArrayLike<number>, rows: number, d: number): Float64Array {
  const Ws = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < d; i++) {
      const a = Wa[r * d + i]!;
      for (let j = 0; j < d; j++) Ws[i * d + j]! += a * Wa[r * d + j]!;
    }
  }
  return Ws;
}

/** Scales every token to y^T W_s y = radius^2, so all tokens have equal W_s-norm. */
export function equalMetricNorms(Y: Float64Array, n: number, d: number, Ws: Float64Array, radius: number): Float64Array {
  const out = Float64Array.from(Y);
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) q += Y[i * d + a]! * Ws[a * d + b]! * Y[i * d + b]!;
    const s = radius / Math.sqrt(q);
    for (let c = 0; c < d; c++) out[i * d + c]! *= s;
  }
  return out;
}

/** A well-conditioned single-head W_a = I + noise, as a [1, d, d] tensor. */
export function randomWa(rng: Random, d: number, scale: number): HostTensor {
  const Wa = rng.normals(d * d, scale / Math.sqrt(d));
  for (let i = 0; i < d; i++) Wa[i * d + i]! += 1;
  return hostTensor(Wa, [1, d, d]);
}
