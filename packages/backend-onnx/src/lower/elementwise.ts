import { type BinaryOp, type Node, type UnaryOp, sameShape } from "@unfold/core";
import { elemTypeOf } from "../model/proto.js";
import type { LowerContext } from "./context.js";

const UNARY: Record<UnaryOp, string> = {
  neg: "Neg",
  exp: "Exp",
  log: "Log",
  sqrt: "Sqrt",
  tanh: "Tanh",
  abs: "Abs",
  sign: "Sign",
  // Differentiation is over by the time a program is exported: the identity.
  stopGradient: "Identity",
};

/** ONNX ops with NumPy broadcasting, as core's binary primitives have. */
const BINARY: Record<BinaryOp, string> = {
  add: "Add",
  sub: "Sub",
  mul: "Mul",
  div: "Div",
  max: "Max",
  min: "Min",
  pow: "Pow",
  greater: "Greater",
  greaterEqual: "GreaterOrEqual",
  equal: "Equal",
};

/** Comparisons give booleans in ONNX, 1 or 0 in the program's dtype in Unfold. */
const COMPARISONS: ReadonlySet<BinaryOp> = new Set(["greater", "greaterEqual", "equal"]);

export function lowerUnary(ctx: LowerContext, node: Node & { op: UnaryOp }): string {
  return ctx.graph.op(UNARY[node.op], [ctx.value(node.inputs[0]!)]);
}

/** Whether node `id` is a constant whose every element is 0. */
function isZeros(ctx: LowerContext, id: number): boolean {
  const n = ctx.nodes[id]!;
  return n.op === "constant" && n.value.every((v) => v === 0);
}

export function lowerBinary(ctx: LowerContext, node: Node & { op: BinaryOp }): string {
  // max(x, 0) with x already of the result's shape is ReLU: runtimes have a kernel of its own
  // for it (and fuse it into the op before), where Max is a general broadcasting binary.
  if (node.op === "max") {
    const [a, b] = node.inputs as [number, number];
    const same = (id: number): boolean => sameShape(ctx.nodes[id]!.shape, node.shape);
    if (isZeros(ctx, b) && same(a)) return ctx.graph.op("Relu", [ctx.value(a)]);
    if (isZeros(ctx, a) && same(b)) return ctx.graph.op("Relu", [ctx.value(b)]);
  }
  const out = ctx.graph.op(BINARY[node.op], node.inputs.map((i) => ctx.value(i)));
  return COMPARISONS.has(node.op) ? ctx.graph.op("Cast", [out], { to: { int: elemTypeOf(node.dtype) } }) : out;
}

export function lowerCast(ctx: LowerContext, node: Node & { op: "cast" }): string {
  return ctx.graph.op("Cast", [ctx.value(node.inputs[0]!)], { to: { int: elemTypeOf(node.to) } });
}
