import type { BinaryOp, UnaryOp } from "@unfold/core";
import type { Expr } from "../plan/kernels.js";
import { f32Literal } from "./common.js";

/**
 * Helper functions some expressions need. pow: WGSL's is undefined for negative bases and at
 * zero, but programs square signed values all the time. tanh: a series near zero (where
 * (1 - e)/(1 + e) cancels) and a clamped exponential form elsewhere (a driver's tanh may
 * overflow to NaN for large |x|).
 */
const HELPERS: Record<"pow" | "tanh", string> = {
  pow: `fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  let m = abs(a);
  var r: f32;
  if (m == 0.0) { r = select(bits_f(0x7f800000u), 0.0, b > 0.0); } else { r = exp2(b * log2(m)); }
  if (a < 0.0) {
    if (b != floor(b)) { return bits_f(0x7fc00000u); }
    if (fract(b * 0.5) != 0.0) { r = -r; }
  }
  return r;
}`,
  tanh: `fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let z = x * x;
    return x * (1.0 + z * (-0.33333334 + z * (0.13333334 + z * (-0.053968254 + z * (0.021869488 + z * (-0.008863236 + z * 0.0035921280))))));
  }
  let e = exp(-2.0 * min(a, 10.0));
  return sign(x) * ((1.0 - e) / (1.0 + e));
}`,
};

export type Helper = keyof typeof HELPERS;

export function helperSource(helpers: ReadonlySet<Helper>): string {
  return [...helpers].sort().map((h) => HELPERS[h]).join("\n");
}

const UNARY: Record<UnaryOp, (a: string, helpers: Set<Helper>) => string> = {
  neg: (a) => `-${a}`,
  exp: (a) => `exp(${a})`,
  log: (a) => `log(${a})`,
  sqrt: (a) => `sqrt(${a})`,
  tanh: (a, h) => (h.add("tanh"), `tanh_f(${a})`),
  abs: (a) => `abs(${a})`,
  sign: (a) => `sign(${a})`,
  stopGradient: (a) => a,
};

const BINARY: Record<Exclude<BinaryOp, "pow">, (a: string, b: string) => string> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  max: (a, b) => `max(${a}, ${b})`,
  min: (a, b) => `min(${a}, ${b})`,
  greater: (a, b) => `select(0.0, 1.0, ${a} > ${b})`,
  greaterEqual: (a, b) => `select(0.0, 1.0, ${a} >= ${b})`,
  equal: (a, b) => `select(0.0, 1.0, ${a} == ${b})`,
};

/** pow with a literal exponent: the common small powers as products, exactly as the reference rounds them. */
function powOf(a: string, exponent: Expr, b: string, helpers: Set<Helper>): string {
  if (exponent.kind === "const") {
    const e = exponent.value;
    if (e === 1) return a;
    if (e === 2) return `${a} * ${a}`;
    if (e === 3) return `${a} * ${a} * ${a}`;
    if (e === 0.5) return `sqrt(${a})`;
    if (e === -1) return `1.0 / ${a}`;
    if (e === -2) return `1.0 / (${a} * ${a})`;
  }
  helpers.add("pow");
  return `pow_f(${a}, ${b})`;
}

/**
 * WGSL for an expression: one `let` per inner node (named `${prefix}N`), so shared operands are
 * computed once and the text stays flat. `leaf(i)` and `acc` name values the caller defined.
 */
export function emitExpr(expr: Expr, leaf: (index: number) => string, helpers: Set<Helper>, prefix = "e", acc = "acc"): { lines: string[]; value: string } {
  const lines: string[] = [];
  let next = 0;
  const walk = (e: Expr): string => {
    switch (e.kind) {
      case "leaf":
        return leaf(e.index);
      case "const":
        return f32Literal(e.value);
      case "acc":
        return acc;
      case "unary": {
        if (e.op === "stopGradient") return walk(e.arg);
        const a = walk(e.arg);
        const name = `${prefix}${next++}`;
        lines.push(`let ${name} = ${UNARY[e.op](a, helpers)};`);
        return name;
      }
      case "binary": {
        const a = walk(e.args[0]);
        const b = walk(e.args[1]);
        const name = `${prefix}${next++}`;
        lines.push(`let ${name} = ${e.op === "pow" ? powOf(a, e.args[1], b, helpers) : BINARY[e.op](a, b)};`);
        return name;
      }
    }
  };
  const value = walk(expr);
  return { lines, value };
}
