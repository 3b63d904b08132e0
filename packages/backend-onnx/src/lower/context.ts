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
  /** An int64 [1] value holding the runtime batch size (read off a batched graph input). */
  batchSize(): string;
}

/**
 * `shape` as an int64 value for Expand or Reshape, with axis `at` taken to the runtime batch size:
 * a fixed shape for what is fixed, read off the input for the one symbolic axis.
 */
export function shapeWithBatch(ctx: LowerContext, shape: readonly number[], at: number): string {
  const g = ctx.graph;
  const parts = [shape.slice(0, at), shape.slice(at + 1)].map((p) => (p.length > 0 ? g.ints(p) : undefined));
  const inputs = [parts[0], ctx.batchSize(), parts[1]].filter((v): v is string => v !== undefined);
  return inputs.length === 1 ? inputs[0]! : g.op("Concat", inputs, { axis: { int: 0 } });
}

/** A reduction with keepdims=1; opset 18 moved every reduction's axes from attribute to input. */
export function reduce(ctx: LowerContext, type: string, x: string, axes: readonly number[]): string {
  const g = ctx.graph;
  if (type === "ReduceSum" || g.opset >= 18) return g.op(type, [x, g.ints(axes)], { keepdims: { int: 1 } });
  return g.op(type, [x], { axes: { ints: axes }, keepdims: { int: 1 } });
}
