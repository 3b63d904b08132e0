// The attention weights gamma of the Yang et al. energy (packages/energies, yang/attention.ts):
// gamma_ij = exp(-1/2 ||W_a (y_i - y_j)||^2) normalized over j, the weights its
// majorize-minimize step averages the tokens with. Computed in float64 from the tokens the
// page already has, for the scenes whose energy has that attention term (a parameter Wa).
import type { HostTensor, ParamValues } from "@unfold/core";
import { toFloat64 } from "@unfold/core";

/** Row-normalized weights of one sequence and one head: `tokens` rows, row-major. */
export interface AttentionWeights {
  readonly tokens: number;
  readonly weights: Float64Array;
}

/** Whether the scene's parameters carry the Yang attention metric W_a, [heads, headDim, d]. */
export function hasYangAttention(params: ParamValues): boolean {
  const wa = params["Wa"];
  return wa !== undefined && wa.shape.length === 3;
}

/**
 * gamma for the first sequence of `state` ([..., n, d], leading axes flattened) under head `head`
 * of `Wa`. Throws, naming the shapes, when the state's width is not W_a's.
 */
export function yangAttentionWeights(state: Float64Array, shape: readonly number[], Wa: HostTensor, head = 0): AttentionWeights {
  const [heads, headDim, dim] = Wa.shape as [number, number, number];
  const n = shape[shape.length - 2]!;
  const d = shape[shape.length - 1]!;
  if (shape.length < 2 || d !== dim) throw new Error(`attention weights: the state [${shape.join(", ")}] is not of width ${dim}, the width of Wa [${Wa.shape.join(", ")}]`);
  if (!(Number.isInteger(head) && head >= 0 && head < heads)) throw new Error(`attention weights: head ${head} is not one of Wa's ${heads} heads`);
  const wa = toFloat64(Wa).subarray(head * headDim * dim, (head + 1) * headDim * dim);
  // Projected tokens z_i = W_a y_i, so that ||W_a (y_i - y_j)|| = ||z_i - z_j||.
  const z = new Float64Array(n * headDim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < headDim; a++) {
      let s = 0;
      for (let b = 0; b < dim; b++) s += wa[a * dim + b]! * state[i * dim + b]!;
      z[i * headDim + a] = s;
    }
  }
  const weights = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < n; j++) {
      let sq = 0;
      for (let a = 0; a < headDim; a++) sq += (z[i * headDim + a]! - z[j * headDim + a]!) ** 2;
      // The largest logit of row i is 0 (j = i), so exp never overflows.
      const w = Math.exp(-0.5 * sq);
      weights[i * n + j] = w;
      total += w;
    }
    for (let j = 0; j < n; j++) weights[i * n + j]! /= total;
  }
  return { tokens: n, weights };
}
