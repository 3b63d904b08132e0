// A pre-LayerNorm Transformer encoder in plain float64 loops, sharing nothing with tracing or
// the nn package: the independent side of the transformer tests. Matrices are row-major.

export type Weights = Readonly<Record<string, Float64Array>>;

/** [n, k] x [k, m] (+ bias [m]). */
export function affine(a: Float64Array, n: number, k: number, W: Float64Array, m: number, bias?: Float64Array): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let acc = bias ? bias[j]! : 0;
      for (let p = 0; p < k; p++) acc += a[i * k + p]! * W[p * m + j]!;
      out[i * m + j] = acc;
    }
  }
  return out;
}

export function layerNormRows(x: Float64Array, n: number, d: number, gain: Float64Array, bias: Float64Array, eps = 1e-5): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let c = 0; c < d; c++) mean += x[i * d + c]! / d;
    let variance = 0;
    for (let c = 0; c < d; c++) variance += (x[i * d + c]! - mean) ** 2 / d;
    for (let c = 0; c < d; c++) out[i * d + c] = ((x[i * d + c]! - mean) / Math.sqrt(variance + eps)) * gain[c]! + bias[c]!;
  }
  return out;
}

/** Multi-head self-attention of one sequence x [T, d]; weights Wq/Wk [d, a], Wv [d, e], Wo [e, out]. */
export function attentionRef(x: Float64Array, T: number, d: number, w: Weights, heads: number, causal: boolean): Float64Array {
  const a = w["Wq"]!.length / d;
  const e = w["Wv"]!.length / d;
  const out = w["Wo"]!.length / e;
  const q = affine(x, T, d, w["Wq"]!, a, w["bq"]);
  const k = affine(x, T, d, w["Wk"]!, a, w["bk"]);
  const v = affine(x, T, d, w["Wv"]!, e, w["bv"]);
  const hq = a / heads;
  const hv = e / heads;
  const mixed = new Float64Array(T * e);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < T; i++) {
      const seen = causal ? i + 1 : T;
      const scores = new Float64Array(seen);
      let max = -Infinity;
      for (let j = 0; j < seen; j++) {
        let dot = 0;
        for (let c = 0; c < hq; c++) dot += q[i * a + h * hq + c]! * k[j * a + h * hq + c]!;
        scores[j] = dot / Math.sqrt(hq);
        max = Math.max(max, scores[j]!);
      }
      let total = 0;
      for (let j = 0; j < seen; j++) total += scores[j] = Math.exp(scores[j]! - max);
      for (let c = 0; c < hv; c++) {
        let acc = 0;
        for (let j = 0; j < seen; j++) acc += (scores[j]! / total) * v[j * e + h * hv + c]!;
        mixed[i * e + h * hv + c] = acc;
      }
    }
  }
  return affine(mixed, T, e, w["Wo"]!, out, w["bo"]);
}

export function geluRef(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export interface EncoderRefConfig {
  readonly dim: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly layers: number;
  readonly causal: boolean;
  readonly tied: boolean;
  readonly activation: "relu" | "gelu";
}

/** x [batch, T, dim] through the encoder; params named as transformerSpecs names them. */
export function encoderRef(x: Float64Array, batch: number, T: number, config: EncoderRefConfig, params: Weights): Float64Array {
  const { dim: d, mlpDim, heads } = config;
  const out = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    let h = x.slice(b * T * d, (b + 1) * T * d);
    for (let l = 0; l < config.layers; l++) {
      const prefix = config.tied ? "shared" : `layer${l}`;
      const p = (name: string): Float64Array => params[`${prefix}.${name}`]!;
      const normed1 = layerNormRows(h, T, d, p("ln1.gain"), p("ln1.bias"));
      const weights = Object.fromEntries(["Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"].map((n) => [n, p(n)]));
      const attended = attentionRef(normed1, T, d, weights, heads, config.causal);
      h = h.map((v, i) => v + attended[i]!);
      const normed2 = layerNormRows(h, T, d, p("ln2.gain"), p("ln2.bias"));
      const hidden = affine(normed2, T, d, p("W1"), mlpDim, p("b1")).map((v) => (config.activation === "gelu" ? geluRef(v) : Math.max(0, v)));
      const mlp = affine(hidden, T, mlpDim, p("W2"), d, p("b2"));
      h = h.map((v, i) => v + mlp[i]!);
    }
    out.set(h, b * T * d);
  }
  return out;
}
