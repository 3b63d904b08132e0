import type { BinaryOp, Node, UnaryOp } from "@unfold/core";
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

export function lowerBinary(ctx: LowerContext, node: Node & { op: BinaryOp }): string {
  const out = ctx.graph.op(BINARY[node.op], node.inputs.map((i) => ctx.value(i)));
  return COMPARISONS.has(node.op) ? ctx.graph.op("Cast", [out], { to: { int: elemTypeOf(node.dtype) } }) : out;
}

export function lowerCast(ctx: LowerContext, node: Node & { op: "cast" }): string {
  return ctx.graph.op("Cast", [ctx.value(node.inputs[0]!)], { to: { int: elemTypeOf(node.to) } });
}
