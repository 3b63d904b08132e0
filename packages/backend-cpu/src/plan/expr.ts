import type { BinaryOp, DType, UnaryOp } from "@unfold/core";

/** An elementwise expression tree, fused into one loop: leaves read strided views. */
export type Expr =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "unary"; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: "cast"; readonly to: DType; readonly arg: Expr }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly args: readonly [Expr, Expr] };

const UNARY: Record<UnaryOp, (a: string) => string> = {
  neg: (a) => `(-${a})`,
  exp: (a) => `Math.exp(${a})`,
  log: (a) => `Math.log(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  abs: (a) => `Math.abs(${a})`,
  sign: (a) => `Math.sign(${a})`,
  stopGradient: (a) => a,
};

const BINARY: Record<BinaryOp, (a: string, b: string) => string> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  max: (a, b) => `Math.max(${a}, ${b})`,
  min: (a, b) => `Math.min(${a}, ${b})`,
  pow: (a, b) => `Math.pow(${a}, ${b})`,
  greater: (a, b) => `(${a} > ${b} ? 1 : 0)`,
  greaterEqual: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
  equal: (a, b) => `(${a} === ${b} ? 1 : 0)`,
};

/**
 * JavaScript source for an expression whose leaves are the named values `leaf(i)`. Fused
 * intermediates stay in double precision: a float32 result is rounded once, when stored, or at an
 * explicit cast, which is closer to the float64 reference than rounding at every step.
 */
export function emitExpr(expr: Expr, leaf: (index: number) => string): string {
  switch (expr.kind) {
    case "input":
      return leaf(expr.index);
    case "unary":
      return UNARY[expr.op](emitExpr(expr.arg, leaf));
    case "cast":
      return expr.to === "float32" ? `Math.fround(${emitExpr(expr.arg, leaf)})` : emitExpr(expr.arg, leaf);
    case "binary":
      return BINARY[expr.op](emitExpr(expr.args[0], leaf), emitExpr(expr.args[1], leaf));
  }
}
