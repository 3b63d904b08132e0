import type { Node } from "@unfold/core";
import { type LowerContext, shapeWithBatch } from "./context.js";

/** With a symbolic batch axis, the leading size is left for the runtime to infer (-1). */
export function lowerReshape(ctx: LowerContext, node: Node & { op: "reshape" }): string {
  const x = node.inputs[0]!;
  const shape = ctx.batched(x) ? [-1, ...node.shape.slice(1)] : [...node.shape];
  return ctx.graph.op("Reshape", [ctx.value(x), ctx.graph.ints(shape)]);
}

/**
 * Expand broadcasts both ways, so a 1 on the batch axis keeps the input's own (symbolic) size. A
 * broadcast that makes the batch axis itself (of a value the same in every row, meeting batched
 * ones) takes its size from the runtime batch.
 */
export function lowerBroadcast(ctx: LowerContext, node: Node & { op: "broadcast" }): string {
  const x = node.inputs[0]!;
  if (ctx.batched(node.id) && !ctx.batched(x)) return ctx.graph.op("Expand", [ctx.value(x), shapeWithBatch(ctx, node.shape, 0)]);
  const shape = ctx.batched(x) ? [1, ...node.shape.slice(1)] : [...node.shape];
  return ctx.graph.op("Expand", [ctx.value(x), ctx.graph.ints(shape)]);
}

/**
 * A transpose that moves only size-1 axes (a column to a row, [b, 1, n, 1] -> [b, 1, 1, n])
 * keeps every element where it is: it is exported as the Reshape it is, which runtimes do
 * without a copy, where a Transpose kernel would copy.
 */
export function lowerTranspose(ctx: LowerContext, node: Node & { op: "transpose" }): string {
  const x = node.inputs[0]!;
  const inShape = ctx.nodes[x]!.shape;
  const order = node.perm.filter((a) => inShape[a] !== 1);
  const inOrder = order.every((a, i) => i === 0 || order[i - 1]! < a);
  // On a batched input the leading axis must stay leading to be exported as -1.
  if (inOrder && (!ctx.batched(x) || node.perm[0] === 0)) {
    const shape = ctx.batched(x) ? [-1, ...node.shape.slice(1)] : [...node.shape];
    return ctx.graph.op("Reshape", [ctx.value(x), ctx.graph.ints(shape)]);
  }
  return ctx.graph.op("Transpose", [ctx.value(x)], { perm: { ints: node.perm } });
}

/** Slices only the axes that change; on a batched input axis 0 is never one of them. */
export function lowerSlice(ctx: LowerContext, node: Node & { op: "slice" }): string {
  const x = node.inputs[0]!;
  const inShape = ctx.nodes[x]!.shape;
  const axes = node.begin.flatMap((b, i) => (b !== 0 || node.shape[i] !== inShape[i] ? [i] : []));
  if (axes.length === 0) return ctx.graph.op("Identity", [ctx.value(x)]);
  const g = ctx.graph;
  const starts = g.ints(axes.map((a) => node.begin[a]!));
  const ends = g.ints(axes.map((a) => node.begin[a]! + node.shape[a]!));
  return g.op("Slice", [ctx.value(x), starts, ends, g.ints(axes)]);
}

export function lowerConcat(ctx: LowerContext, node: Node & { op: "concat" }): string {
  return ctx.graph.op("Concat", node.inputs.map((i) => ctx.value(i)), { axis: { int: node.axis } });
}
