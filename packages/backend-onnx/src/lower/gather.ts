import { type Node, UnfoldError } from "@unfold/core";
import { ELEM } from "../model/proto.js";
import { type LowerContext, shapeWithBatch } from "./context.js";

/** Unfold carries indices as floats holding integers; ONNX wants int64. */
function int64Indices(ctx: LowerContext, id: number): string {
  return ctx.graph.op("Cast", [ctx.value(id)], { to: { int: ELEM.int64 } });
}

export function lowerGather(ctx: LowerContext, node: Node & { op: "gather" }): string {
  const [x, idx] = node.inputs as [number, number];
  return ctx.graph.op("Gather", [ctx.value(x), int64Indices(ctx, idx)], { axis: { int: node.axis } });
}

/**
 * scatterAdd(u, idx, axis, size) with u [pre, I, post]: ScatterND with reduction "add" (opset
 * 16) into zeros [size, pre, post], after moving the index axes of u to the front; then the
 * result's leading axis goes back to position `axis`. ScatterND applies repeated indices in
 * order, so repeated rows accumulate as the reference's loop does. Batched updates (scattered
 * along another axis: the gradient of a gather from the state) get zeros of the runtime batch size.
 */
export function lowerScatterAdd(ctx: LowerContext, node: Node & { op: "scatterAdd" }): string {
  const [u, idx] = node.inputs as [number, number];
  if (ctx.batched(idx) || (ctx.batched(u) && node.axis === 0)) {
    throw new UnfoldError("scatterAdd", "cannot scatter along a symbolic batch axis or at batched indices; export without batchDim");
  }
  const g = ctx.graph;
  const axis = node.axis;
  const uShape = ctx.nodes[u]!.shape;
  const indexRank = ctx.nodes[idx]!.shape.length;
  const pre = Array.from({ length: axis }, (_, i) => i);
  const mid = Array.from({ length: indexRank }, (_, i) => axis + i);
  const post = Array.from({ length: uShape.length - axis - indexRank }, (_, i) => axis + indexRank + i);
  const moved = pre.length > 0 ? g.op("Transpose", [ctx.value(u)], { perm: { ints: [...mid, ...pre, ...post] } }) : ctx.value(u);
  const indices = g.op("Unsqueeze", [int64Indices(ctx, idx), g.ints([indexRank])]);
  const outShape = node.shape;
  const frontShape = [outShape[axis]!, ...outShape.slice(0, axis), ...outShape.slice(axis + 1)];
  // The batch axis, when there is one, is the result's axis 0: position 1 once the scattered axis leads.
  const zerosShape = ctx.batched(u) ? shapeWithBatch(ctx, frontShape, 1) : g.ints(frontShape);
  const zeros = g.op("Expand", [g.floats(node.dtype, [], [0], "zero"), zerosShape]);
  const scattered = g.op("ScatterND", [zeros, indices, moved], { reduction: { string: "add" } });
  if (axis === 0) return scattered;
  const back = [...Array.from({ length: axis }, (_, i) => i + 1), 0, ...Array.from({ length: outShape.length - axis - 1 }, (_, i) => axis + 1 + i)];
  return g.op("Transpose", [scattered], { perm: { ints: back } });
}
