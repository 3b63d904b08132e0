import type { Node } from "@unfold/core";
import type { GraphBuilder } from "../model/graph-builder.js";

/** What a lowering rule sees: the graph being built and the ONNX value of every earlier node. */
export interface LowerContext {
  readonly graph: GraphBuilder;
  readonly nodes: readonly Node[];
  /** The ONNX value holding node `id`. */
  value(id: number): string;
  /** Whether node `id`'s leading axis is the symbolic batch axis (its size is then not a constant). */
  batched(id: number): boolean;
}

/** A reduction with keepdims=1; opset 18 moved every reduction's axes from attribute to input. */
export function reduce(ctx: LowerContext, type: string, x: string, axes: readonly number[]): string {
  const g = ctx.graph;
  if (type === "ReduceSum" || g.opset >= 18) return g.op(type, [x, g.ints(axes)], { keepdims: { int: 1 } });
  return g.op(type, [x], { axes: { ints: axes }, keepdims: { int: 1 } });
}
