import { type DType, type Graph, ShapeError, type Tensor, UnfoldError, ops } from "@unfold/core";
import { describeArg, requireCompatible, requireDType, requireInteger, requireMinRank, requireRank, requireTensor } from "./check.js";
import { type Initializer, type TrainableSpecs, checkTrainableSpec } from "./params.js";

/** x [..., in] @ W [in, out] (+ b [out]) -> [..., out]. */
export function linear(x: Tensor, W: Tensor, b?: Tensor): Tensor {
  const op = "linear";
  requireTensor(op, "x", x);
  requireTensor(op, "W", W);
  requireMinRank(op, "x", x, 1);
  requireRank(op, "W", W, 2);
  requireCompatible(op, ["x", x], ["W", W]);
  if (x.shape.at(-1) !== W.shape[0]) {
    throw new ShapeError(op, `${describeArg("x", x)} and ${describeArg("W", W)} disagree on the input width`);
  }
  if (b !== undefined) {
    requireTensor(op, "b", b);
    requireCompatible(op, ["W", W], ["b", b]);
    if (b.rank !== 1 || b.shape[0] !== W.shape[1]) {
      throw new ShapeError(op, `${describeArg("b", b)} must be a vector of the output width ${W.shape[1]} of ${describeArg("W", W)}`);
    }
  }
  // matmul wants a matrix on each side; a single vector is a one-row batch.
  const rows = x.rank === 1 ? ops.reshape(x, [1, x.shape[0]!]) : x;
  let y = ops.matmul(rows, W);
  if (b !== undefined) y = ops.add(y, b);
  return x.rank === 1 ? ops.reshape(y, [W.shape[1]!]) : y;
}

/** Specs for one linear map: "W" [in, out] (Glorot by default) and, unless `bias` is false, "b" [out] (zeros). */
export function linearSpecs(inDim: number, outDim: number, options: { bias?: boolean; init?: Initializer } = {}): TrainableSpecs {
  requireInteger("linearSpecs", "inDim", inDim, 1);
  requireInteger("linearSpecs", "outDim", outDim, 1);
  const W = { shape: [inDim, outDim], init: options.init ?? { kind: "glorot" } } as const;
  checkTrainableSpec("linearSpecs", "W", W);
  return options.bias === false ? { W } : { W, b: { shape: [outDim], init: { kind: "zeros" } } };
}

/** Rows of `table` [vocab, d] at `ids` [..., T] (integer values in a float tensor) -> [..., T, d]. */
export function embedTokens(ids: Tensor, table: Tensor): Tensor {
  const op = "embedTokens";
  requireTensor(op, "ids", ids);
  requireTensor(op, "table", table);
  requireRank(op, "table", table, 2);
  requireCompatible(op, ["ids", ids], ["table", table]);
  // Index values are only known at run time; gather checks them there (an integer in [0, vocab)).
  return ops.gather(table, ids, 0);
}

/** The mean over the token axis: [..., T, d] -> [..., d]. */
export function meanPool(x: Tensor): Tensor {
  requireTensor("meanPool", "x", x);
  requireMinRank("meanPool", "x", x, 2);
  if (x.shape.at(-2) === 0) throw new ShapeError("meanPool", `${describeArg("x", x)} has no tokens to average`);
  return ops.mean(x, -2);
}

/**
 * Added to attention logits: far below any real logit, yet finite, because the backward pass
 * multiplies it by zero and 0 * -Infinity is NaN. exp of it underflows to exactly 0 in both
 * float32 and float64, so a masked position gets no weight at all.
 */
export const MASKED_LOGIT = -1e9;

/** The causal mask, shape [T, T]: 0 where a query may see a key (on or below the diagonal), MASKED_LOGIT above it. */
export function causalMask(tokens: number, dtype: DType, graph: Graph): Tensor {
  requireInteger("causalMask", "tokens", tokens, 1);
  requireDType("causalMask", dtype);
  if (typeof graph?.constant !== "function") throw new UnfoldError("causalMask", "graph must be a Graph");
  const mask = new Float64Array(tokens * tokens);
  for (let i = 0; i < tokens; i++) for (let j = i + 1; j < tokens; j++) mask[i * tokens + j] = MASKED_LOGIT;
  return graph.constant(mask, [tokens, tokens], dtype).named("causalMask");
}
