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

/** Whether an expression casts to anything but float32 (its intermediates are then not all float32). */
function castsAway(expr: Expr): boolean {
  switch (expr.kind) {
    case "input":
      return false;
    case "cast":
      return expr.to !== "float32" || castsAway(expr.arg);
    case "unary":
      return castsAway(expr.arg);
    case "binary":
      return castsAway(expr.args[0]) || castsAway(expr.args[1]);
  }
}

/**
 * Whether a loop computes in float32, operation by operation: every input and the output are
 * float32 and nothing casts away from it. Each operation of such a loop rounds to float32, as
 * the program's float32 nodes say and as the SIMD kernels (four float32 lanes) do, so the two
 * forms agree bit for bit (exp aside). Other loops keep their fused intermediates in float64.
 */
export function computesInFloat32(expr: Expr, dtypes: readonly DType[]): boolean {
  return dtypes.every((d) => d === "float32") && !castsAway(expr);
}

/**
 * JavaScript source for an expression whose leaves are the named values `leaf(i)`. With
 * `float32`, every operation's result is rounded to float32 (Math.fround), as the float32 SIMD
 * kernels compute; otherwise fused intermediates stay in double precision and a float32 result
 * is rounded once, when stored, or at an explicit cast.
 */
export function emitExpr(expr: Expr, leaf: (index: number) => string, float32 = false): string {
  const round = (source: string): string => (float32 ? `Math.fround(${source})` : source);
  switch (expr.kind) {
    case "input":
      return leaf(expr.index);
    case "unary":
      return expr.op === "stopGradient" ? emitExpr(expr.arg, leaf, float32) : round(UNARY[expr.op](emitExpr(expr.arg, leaf, float32)));
    case "cast":
      return expr.to === "float32" ? `Math.fround(${emitExpr(expr.arg, leaf, float32)})` : emitExpr(expr.arg, leaf, float32);
    case "binary":
      return round(BINARY[expr.op](emitExpr(expr.args[0], leaf, float32), emitExpr(expr.args[1], leaf, float32)));
  }
}
