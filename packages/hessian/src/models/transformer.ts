import { type Tensor, UnfoldError, crossEntropy, layerNorm, ops, softmax } from "@unfold/core";
import type { CurvatureModel } from "../curvature/model.js";
import type { ParamBlockSpec } from "../curvature/layout.js";

/**
 * softmax: standard attention. linear: no softmax (A = masked logits), where every block grows
 * as sigma^6 and the functional part has zero diagonal blocks. preln: LayerNorm before attention,
 * MLP and head, which flattens the growth. wqk: one matrix W_QK in place of W_Q W_K^T.
 */
export const ATTENTION_VARIANTS = ["softmax", "linear", "preln", "wqk"] as const;
/** Which attention the model uses (see ATTENTION_VARIANTS). */
export type AttentionVariant = (typeof ATTENTION_VARIANTS)[number];

/** A small Transformer for the addition task: sizes, attention variant and which positions enter the loss. */
export interface TransformerConfig {
  readonly dModel: number;
  readonly vocab: number;
  /** Sequence length L. */
  readonly tokens: number;
  readonly batch: number;
  /** Positions whose next-token prediction enters the loss. */
  readonly lossPositions: readonly number[];
  readonly variant?: AttentionVariant;
  readonly layers?: number;
  /** Residual connections around attention and MLP (default true). */
  readonly residual?: boolean;
  /** A ReLU MLP of width 4 d_model after each attention (default true). ReLU keeps H_f(V,V) = 0. */
  readonly mlp?: boolean;
  /** Causal attention, as in next-token prediction (default true). */
  readonly causal?: boolean;
}

/** A parameter's name: "Q" for one layer, "Q.1" for layer 1 of several. */
export function layerParamName(param: string, layer: number, layers: number): string {
  return layers === 1 ? param : `${param}.${layer}`;
}

export function checkVariant(op: string, variant: string): AttentionVariant {
  if (!(ATTENTION_VARIANTS as readonly string[]).includes(variant)) {
    throw new UnfoldError(op, `unknown attention variant '${variant}' (variants: ${ATTENTION_VARIANTS.join(", ")})`);
  }
  return variant as AttentionVariant;
}

/**
 * A small decoder-only Transformer on precomputed, scaled input embeddings X [B, L, d] (so the
 * data scale sigma is an input), measured over its attention weights (W_Q, W_K, W_V, W_O per
 * layer, or W_QK, W_V, W_O). The MLP weights W1.l, W2.l, the unembedding U and the one-hot
 * targets [B, positions, vocab] are fixed inputs. Loss: mean cross-entropy at lossPositions.
 */
export function transformerModel(config: TransformerConfig): CurvatureModel {
  const variant = checkVariant("transformerModel", config.variant ?? "softmax");
  const layers = config.layers ?? 1;
  if (!Number.isInteger(layers) || layers < 1) throw new UnfoldError("transformerModel", `layers must be an integer >= 1, got ${layers}`);
  const { dModel: d, vocab, tokens: L, batch: B } = config;
  for (const p of config.lossPositions) {
    if (!Number.isInteger(p) || p < 0 || p >= L) throw new UnfoldError("transformerModel", `loss position ${p} is outside the sequence of ${L} tokens`);
  }
  const residual = config.residual ?? true;
  const mlp = config.mlp ?? true;
  const params: ParamBlockSpec[] = [];
  const inputs: Record<string, number[]> = { X: [B, L, d], mask: [L, L], U: [d, vocab], targets: [B, config.lossPositions.length, vocab] };
  for (let l = 0; l < layers; l++) {
    const name = (p: string): string => layerParamName(p, l, layers);
    if (variant === "wqk") params.push({ name: name("QK"), shape: [d, d] });
    else params.push({ name: name("Q"), shape: [d, d] }, { name: name("K"), shape: [d, d] });
    params.push({ name: name("V"), shape: [d, d] }, { name: name("O"), shape: [d, d] });
    if (mlp) Object.assign(inputs, { [`W1.${l}`]: [d, 4 * d], [`W2.${l}`]: [4 * d, d] });
  }
  const norm = (x: Tensor): Tensor => (variant === "preln" ? layerNorm(x) : x);
  return {
    name: `transformer(${variant}, ${layers} layer${layers > 1 ? "s" : ""}${residual ? "" : ", no residual"})`,
    params,
    inputs,
    output: (p, x) => {
      let h = x["X"]!;
      for (let l = 0; l < layers; l++) {
        const w = (q: string): Tensor => p[layerParamName(q, l, layers)]!;
        const a = norm(h);
        const logits = variant === "wqk" ? ops.matmul(ops.matmul(a, w("QK")), ops.swapLastAxes(a)) : ops.matmul(ops.matmul(a, w("Q")), ops.swapLastAxes(ops.matmul(a, w("K"))));
        const scaled = ops.div(logits, Math.sqrt(d));
        // The mask is additive (-1e30 above the diagonal) for softmax and multiplicative (0/1) for linear attention.
        const attention = variant === "linear" ? ops.mul(scaled, x["mask"]!) : softmax(ops.add(scaled, x["mask"]!), -1);
        const out = ops.matmul(ops.matmul(attention, ops.matmul(a, w("V"))), w("O"));
        h = residual ? ops.add(h, out) : out;
        if (mlp) {
          const m = ops.matmul(ops.relu(ops.matmul(norm(h), x[`W1.${l}`]!)), x[`W2.${l}`]!);
          h = residual ? ops.add(h, m) : m;
        }
      }
      return ops.matmul(norm(h), x["U"]!);
    },
    loss: (logits, x) => {
      const picked = ops.concat(config.lossPositions.map((pos) => ops.slice(logits, [0, pos, 0], [B, 1, vocab])), 1);
      return crossEntropy(picked, x["targets"]!);
    },
  };
}

/** The attention mask a variant needs: additive -1e30 (softmax) or 0/1 (linear) above the diagonal. */
export function attentionMask(tokens: number, variant: AttentionVariant, causal = true): Float64Array {
  const mask = new Float64Array(tokens * tokens);
  for (let i = 0; i < tokens; i++) {
    for (let j = 0; j < tokens; j++) {
      const hidden = causal && j > i;
      mask[i * tokens + j] = variant === "linear" ? (hidden ? 0 : 1) : hidden ? -1e30 : 0;
    }
  }
  return mask;
}
