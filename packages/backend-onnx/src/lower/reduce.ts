import type { Node } from "@unfold/core";
import { type LowerContext, reduce } from "./context.js";

/**
 * Reductions keep the reduced axes, as keepdims=1 does. No axes at all is the identity here,
 * while ONNX reads an empty axes list as "reduce everything".
 */
export function lowerReduction(ctx: LowerContext, node: Node & { op: "sum" | "reduceMax" }): string {
  const x = ctx.value(node.inputs[0]!);
  if (node.axes.length === 0) return ctx.graph.op("Identity", [x]);
  return reduce(ctx, node.op === "sum" ? "ReduceSum" : "ReduceMax", x, node.axes);
}
