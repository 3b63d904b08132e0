import type { Node } from "@unfold/core";
import type { LowerContext } from "./context.js";

/** ONNX MatMul has NumPy matmul semantics: batch axes broadcast exactly as core's rule says. */
export function lowerMatmul(ctx: LowerContext, node: Node & { op: "matmul" }): string {
  return ctx.graph.op("MatMul", node.inputs.map((i) => ctx.value(i)));
}
