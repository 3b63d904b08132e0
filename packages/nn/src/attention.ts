import { ShapeError, type Tensor, UnfoldError, ops, softmax } from "@unfold/core";
import { describeArg, requireCompatible, requireInteger, requireMinRank, requireRank, requireTensor } from "./check.js";
import { causalMask, linear } from "./layers.js";

/** The weights of multi-head attention: the query, key, value and output projections, with optional biases. */
export interface AttentionWeights {
  readonly Wq: Tensor;
  readonly Wk: Tensor;
  readonly Wv: Tensor;
  readonly Wo: Tensor;
  readonly bq?: Tensor;
  readonly bk?: Tensor;
  readonly bv?: Tensor;
  readonly bo?: Tensor;
}

/** Options of `multiHeadAttention`: heads and causality. */
export interface AttentionOptions {
  readonly heads: number;
  /** Each token attends only to itself and earlier tokens. */
  readonly causal?: boolean;
}

function checkWeights(op: string, x: Tensor, p: AttentionWeights, heads: number): void {
  const d = x.shape.at(-1)!;
  for (const name of ["Wq", "Wk", "Wv", "Wo"] as const) {
    const W = requireTensor(op, name, p?.[name]);
    requireRank(op, name, W, 2);
    requireCompatible(op, ["x", x], [name, W]);
  }
  for (const name of ["Wq", "Wk", "Wv"] as const) {
    if (p[name].shape[0] !== d) throw new ShapeError(op, `${describeArg("x", x)} and ${describeArg(name, p[name])} disagree on the input width`);
  }
  if (p.Wk.shape[1] !== p.Wq.shape[1]) {
    throw new ShapeError(op, `${describeArg("Wq", p.Wq)} and ${describeArg("Wk", p.Wk)} must project to the same query/key width`);
  }
  for (const name of ["Wq", "Wv"] as const) {
    if (p[name].shape[1]! % heads !== 0) {
      throw new ShapeError(op, `the output width of ${describeArg(name, p[name])} does not split into ${heads} heads`);
    }
  }
  if (p.Wo.shape[0] !== p.Wv.shape[1]) {
    throw new ShapeError(op, `${describeArg("Wo", p.Wo)} must take the value width of ${describeArg("Wv", p.Wv)}`);
  }
  for (const [bias, W] of [["bq", "Wq"], ["bk", "Wk"], ["bv", "Wv"], ["bo", "Wo"]] as const) {
    const b = p[bias];
    if (b === undefined) continue;
    requireTensor(op, bias, b);
    requireCompatible(op, ["x", x], [bias, b]);
    if (b.rank !== 1 || b.shape[0] !== p[W].shape[1]) {
      throw new ShapeError(op, `${describeArg(bias, b)} must be a vector of the output width of ${describeArg(W, p[W])}`);
    }
  }
}

/** [..., T, heads * h] -> [..., heads, T, h]. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const lead = x.shape.slice(0, -2);
  const [tokens, width] = x.shape.slice(-2) as [number, number];
  const split = ops.reshape(x, [...lead, tokens, heads, width / heads]);
  const r = lead.length;
  return ops.transpose(split, [...lead.map((_, i) => i), r + 1, r, r + 2]);
}

/** [..., heads, T, h] -> [..., T, heads * h]. */
function mergeHeads(x: Tensor): Tensor {
  const lead = x.shape.slice(0, -3);
  const [heads, tokens, width] = x.shape.slice(-3) as [number, number, number];
  const r = lead.length;
  const merged = ops.transpose(x, [...lead.map((_, i) => i), r + 1, r, r + 2]);
  return ops.reshape(merged, [...lead, tokens, heads * width]);
}

/**
 * Scaled dot-product multi-head self-attention over x [..., T, d] -> [..., T, out]: queries,
 * keys and values by linear maps, split into heads, softmax(q k^T / sqrt(h) (+ causal mask)) v
 * per head, heads joined and mapped by Wo. Widths come from the weights: Wq, Wk [d, a], Wv [d, e],
 * Wo [e, out], with a and e divisible by `heads`.
 */
export function multiHeadAttention(x: Tensor, p: AttentionWeights, options: AttentionOptions): Tensor {
  const op = "multiHeadAttention";
  requireTensor(op, "x", x);
  requireMinRank(op, "x", x, 2);
  const heads = requireInteger(op, "heads", options?.heads, 1);
  if (options.causal !== undefined && typeof options.causal !== "boolean") throw new UnfoldError(op, `causal must be a boolean, got ${String(options.causal)}`);
  checkWeights(op, x, p, heads);
  const headWidth = p.Wq.shape[1]! / heads;
  // Scaling q rather than the T x T scores costs T x a multiplies instead of heads x T x T.
  const q = ops.mul(splitHeads(linear(x, p.Wq, p.bq), heads), 1 / Math.sqrt(headWidth));
  const k = splitHeads(linear(x, p.Wk, p.bk), heads);
  const v = splitHeads(linear(x, p.Wv, p.bv), heads);
  let scores = ops.matmul(q, ops.swapLastAxes(k));
  if (options.causal) scores = ops.add(scores, causalMask(x.shape.at(-2)!, x.dtype, x.graph));
  const mixed = ops.matmul(softmax(scores, -1), v);
  return linear(mergeHeads(mixed), p.Wo, p.bo);
}
