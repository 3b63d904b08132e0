import { DTypeError } from "../errors.js";
import type { BinaryOp, UnaryOp } from "../ir/node.js";
import { broadcastShapes, sameShape } from "../shape.js";
import * as ops from "../trace/ops.js";
import { broadcastOffsets } from "./indexing.js";
import type { PrimitiveRule } from "./rule.js";

type UnaryDef = { f: (x: number) => number; vjp: (g: ops.T, x: ops.T, y: ops.T) => ops.T | undefined };

const UNARY: Record<UnaryOp, UnaryDef> = {
  neg: { f: (x) => -x, vjp: (g) => ops.neg(g) },
  exp: { f: Math.exp, vjp: (g, _x, y) => ops.mul(g, y) },
  log: { f: Math.log, vjp: (g, x) => ops.div(g, x) },
  sqrt: { f: Math.sqrt, vjp: (g, _x, y) => ops.div(g, ops.mul(y, 2)) },
  tanh: { f: Math.tanh, vjp: (g, _x, y) => ops.mul(g, ops.sub(1, ops.mul(y, y))) },
  abs: { f: Math.abs, vjp: (g, x) => ops.mul(g, ops.sign(x)) },
  // Piecewise constant: zero almost everywhere.
  sign: { f: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), vjp: () => undefined },
  stopGradient: { f: (x) => x, vjp: () => undefined },
};

export function unaryRule(op: UnaryOp): PrimitiveRule<UnaryOp> {
  const def = UNARY[op];
  return {
    infer: (_spec, [x]) => ({ shape: x!.shape, dtype: x!.dtype }),
    evaluate: (_node, [x]) => x!.data.map(def.f),
    vjp: ({ cotangent, args, output }) => [def.vjp(cotangent, args[0]!, output)],
  };
}

export const castRule: PrimitiveRule<"cast"> = {
  infer: (spec, [x]) => ({ shape: x!.shape, dtype: spec.to }),
  evaluate: (node, [x]) => (node.dtype === "float32" ? Float64Array.from(x!.data, Math.fround) : x!.data.slice()),
  vjp: ({ cotangent, args }) => [ops.cast(cotangent, args[0]!.dtype)],
};

type BinaryDef = {
  f: (a: number, b: number) => number;
  vjp?: (g: ops.T, a: ops.T, b: ops.T, y: ops.T) => [ops.T | undefined, ops.T | undefined];
};

const BINARY: Record<BinaryOp, BinaryDef> = {
  add: { f: (a, b) => a + b, vjp: (g) => [g, g] },
  sub: { f: (a, b) => a - b, vjp: (g) => [g, ops.neg(g)] },
  mul: { f: (a, b) => a * b, vjp: (g, a, b) => [ops.mul(g, b), ops.mul(g, a)] },
  div: { f: (a, b) => a / b, vjp: (g, _a, b, y) => [ops.div(g, b), ops.neg(ops.div(ops.mul(g, y), b))] },
  // Ties send the whole cotangent to the first argument, a valid subgradient.
  max: {
    f: Math.max,
    vjp: (g, a, b) => {
      const first = ops.greaterEqual(a, b);
      return [ops.mul(g, first), ops.mul(g, ops.sub(1, first))];
    },
  },
  min: {
    f: Math.min,
    vjp: (g, a, b) => {
      const first = ops.greaterEqual(b, a);
      return [ops.mul(g, first), ops.mul(g, ops.sub(1, first))];
    },
  },
  pow: {
    f: Math.pow,
    vjp: (g, a, b, y) => [ops.mul(g, ops.mul(b, ops.pow(a, ops.sub(b, 1)))), ops.mul(g, ops.mul(y, ops.log(a)))],
  },
  greater: { f: (a, b) => (a > b ? 1 : 0) },
  greaterEqual: { f: (a, b) => (a >= b ? 1 : 0) },
  equal: { f: (a, b) => (a === b ? 1 : 0) },
};

export function binaryRule(op: BinaryOp): PrimitiveRule<BinaryOp> {
  const def = BINARY[op];
  return {
    infer: (_spec, [a, b]) => {
      if (a!.dtype !== b!.dtype) {
        throw new DTypeError(op, `dtype mismatch: ${describeArg(a!)} is ${a!.dtype}, ${describeArg(b!)} is ${b!.dtype}`);
      }
      return { shape: broadcastShapes(op, a!.shape, b!.shape, [a!.label, b!.label]), dtype: a!.dtype };
    },
    evaluate: (node, [a, b]) => {
      const out = new Float64Array(node.shape.reduce((p, d) => p * d, 1));
      const fastA = sameShape(a!.shape, node.shape);
      const fastB = sameShape(b!.shape, node.shape);
      const oa = fastA ? undefined : broadcastOffsets(a!.shape, node.shape);
      const ob = fastB ? undefined : broadcastOffsets(b!.shape, node.shape);
      for (let i = 0; i < out.length; i++) {
        out[i] = def.f(a!.data[oa ? oa[i]! : i]!, b!.data[ob ? ob[i]! : i]!);
      }
      return out;
    },
    vjp: ({ cotangent, args, output }) => {
      if (!def.vjp) return [undefined, undefined];
      const [a, b] = args as [ops.T, ops.T];
      const [ga, gb] = def.vjp(cotangent, a, b, output);
      return [ga && ops.sumToShape(ga, a.shape), gb && ops.sumToShape(gb, b.shape)];
    },
  };
}

function describeArg(a: { label?: string | undefined; shape: readonly number[] }): string {
  return a.label ? `'${a.label}'` : `[${a.shape.join(", ")}]`;
}
