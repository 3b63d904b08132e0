/**
 * A standard Transformer layer written with plain loops in float64, sharing no code with the
 * tracing, autodiff or energy machinery: the independent side of "the unfolded layer equals a
 * Transformer layer". Matrices are row-major Float64Arrays; Y is n x d.
 */

function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      for (let j = 0; j < m; j++) out[i * m + j]! += aip * b[p * m + j]!;
    }
  }
  return out;
}

/** Y + alpha (softmax(Y W_s Y^T) Y - Y): single-head softmax attention, W_V = I, with the residual. */
export function standardAttentionSublayer(Y: Float64Array, n: number, d: number, Ws: Float64Array, alpha: number): Float64Array {
  const YW = matmul(Y, Ws, n, d, d);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const logits = new Float64Array(n);
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += YW[i * d + c]! * Y[j * d + c]!;
      logits[j] = dot;
      max = Math.max(max, dot);
    }
    let total = 0;
    for (let j = 0; j < n; j++) total += logits[j] = Math.exp(logits[j]! - max);
    for (let c = 0; c < d; c++) {
      let mixed = 0;
      for (let j = 0; j < n; j++) mixed += (logits[j]! / total) * Y[j * d + c]!;
      out[i * d + c] = Y[i * d + c]! + alpha * (mixed - Y[i * d + c]!);
    }
  }
  return out;
}

/** ReLU(Y ((1 - alpha) I - alpha W_f) + alpha 1 b^T): the symmetric feed-forward map and ReLU. */
export function standardFeedForwardSublayer(
  Y: Float64Array,
  n: number,
  d: number,
  Wf: Float64Array,
  b: Float64Array,
  alpha: number,
): Float64Array {
  const map = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) map[i * d + j] = (i === j ? 1 - alpha : 0) - alpha * Wf[i * d + j]!;
  const out = matmul(Y, map, n, d, d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) out[i * d + c] = Math.max(0, out[i * d + c]! + alpha * b[c]!);
  return out;
}

/** The weights of one standard layer, as plain row-major arrays. */
export interface StandardLayerWeights {
  readonly Ws: Float64Array;
  readonly Wf: Float64Array;
  readonly b: Float64Array;
  readonly attentionStepSize: number;
  readonly feedForwardStepSize: number;
}

/** One standard layer: the attention sublayer, then the feed-forward sublayer. */
export function standardTransformerLayer(Y: Float64Array, n: number, d: number, w: StandardLayerWeights): Float64Array {
  const attended = standardAttentionSublayer(Y, n, d, w.Ws, w.attentionStepSize);
  return standardFeedForwardSublayer(attended, n, d, w.Wf, w.b, w.feedForwardStepSize);
}
