import type { DType } from "../dtype.js";
import { ShapeError, describe, formatShape } from "../errors.js";
import type { BinaryOp, UnaryOp } from "../ir/node.js";
import { type Shape, normalizeAxes, sameShape } from "../shape.js";
import { describeValue } from "../validate.js";
import type { Tensor, TensorLike } from "./graph.js";
import { operandPair, requireTensor } from "./operands.js";

/** Shorthand for Tensor in signatures. */
export type T = Tensor;

/** Applies an elementwise unary primitive by name. */
export function unary(op: UnaryOp, x: Tensor): Tensor {
  return requireTensor(op, x).graph.emit({ op }, [x]);
}

/** Numbers become scalar constants of the other argument's dtype. */
export function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operandPair(op, a, b);
  return x.graph.emit({ op }, [x, y]);
}

/** -x, elementwise. */
export const neg = (x: Tensor): Tensor => unary("neg", x);
/** e^x, elementwise. */
export const exp = (x: Tensor): Tensor => unary("exp", x);
/** The natural logarithm, elementwise. */
export const log = (x: Tensor): Tensor => unary("log", x);
/** The square root, elementwise. */
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x);
/** The hyperbolic tangent, elementwise. */
export const tanh = (x: Tensor): Tensor => unary("tanh", x);
/** |x|, elementwise. */
export const abs = (x: Tensor): Tensor => unary("abs", x);
/** The sign of x (-1, 0 or 1), elementwise. */
export const sign = (x: Tensor): Tensor => unary("sign", x);
/** The identity whose derivative is zero: what autodiff must treat as a constant. */
export const stopGradient = (x: Tensor): Tensor => unary("stopGradient", x);

/** a + b, elementwise with broadcasting; a number becomes a scalar constant. */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary("add", a, b);
/** a - b, elementwise with broadcasting. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary("sub", a, b);
/** a * b, elementwise with broadcasting. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary("mul", a, b);
/** a / b, elementwise with broadcasting. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary("div", a, b);
/** a ^ b, elementwise with broadcasting. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary("pow", a, b);
/** The larger of a and b, elementwise with broadcasting. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary("max", a, b);
/** The smaller of a and b, elementwise with broadcasting. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary("min", a, b);
/** 1 where a > b, else 0, elementwise with broadcasting. */
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary("greater", a, b);
/** 1 where a >= b, else 0, elementwise with broadcasting. */
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => binary("greaterEqual", a, b);
/** 1 where a = b, else 0, elementwise with broadcasting. */
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary("equal", a, b);

/** max(x, 0), elementwise: the projection onto the non-negative orthant. */
export const relu = (x: Tensor): Tensor => maximum(x, 0);

/** x converted to dtype `to` (x itself when it already has it). */
export function cast(x: Tensor, to: DType): Tensor {
  return requireTensor("cast", x).dtype === to ? x : x.graph.emit({ op: "cast", to }, [x]);
}

function reduceAxes(x: Tensor, axes: number | readonly number[] | undefined, op: string): number[] {
  requireTensor(op, x);
  if (axes === undefined) return x.shape.map((_, i) => i);
  return normalizeAxes(op, typeof axes === "number" ? [axes] : axes, x.rank, describe(x.label, x.shape));
}

function dropAxes(x: Tensor, reduced: Tensor, axes: number[], keepDims: boolean): Tensor {
  return keepDims ? reduced : reshape(reduced, x.shape.filter((_, i) => !axes.includes(i)));
}

/** The sum over `axes` (every axis by default), dropping them unless `keepDims`. */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = reduceAxes(x, axes, "sum");
  return dropAxes(x, x.graph.emit({ op: "sum", axes: ax }, [x]), ax, keepDims);
}

/** Sum over already-normalized axes, keeping them (what VJP rules need). */
export function sumKeep(x: Tensor, axes: readonly number[]): Tensor {
  return x.graph.emit({ op: "sum", axes: [...axes] }, [x]);
}

/** The maximum over `axes` (every axis by default), dropping them unless `keepDims`. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = reduceAxes(x, axes, "max");
  return dropAxes(x, x.graph.emit({ op: "reduceMax", axes: ax }, [x]), ax, keepDims);
}

/** The mean over `axes` (every axis by default), dropping them unless `keepDims`. */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = reduceAxes(x, axes, "mean");
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return div(sum(x, ax, keepDims), count);
}

/** The matrix product over the last two axes (both operands of rank >= 2), batched with broadcasting over the leading ones. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return requireTensor("matmul", a, 1).graph.emit({ op: "matmul" }, [a, requireTensor("matmul", b, 2)]);
}

/** Reshape; one dimension may be -1 and is then inferred from the element count. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  requireTensor("reshape", x);
  if (!Array.isArray(shape) || shape.some((d) => d !== -1 && !(Number.isInteger(d) && d >= 0))) {
    const target = Array.isArray(shape) ? formatShape(shape) : describeValue(shape);
    throw new ShapeError("reshape", `cannot reshape ${describe(x.label, x.shape)} to ${target}: dimensions must be non-negative integers (one may be -1)`);
  }
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown >= 0) {
    const known = target.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (target.lastIndexOf(-1) !== unknown || known === 0 || x.size % known !== 0) {
      throw new ShapeError("reshape", `cannot infer the -1 in ${formatShape(shape)} from ${describe(x.label, x.shape)}`);
    }
    target[unknown] = x.size / known;
  }
  if (sameShape(target, x.shape)) return x;
  return x.graph.emit({ op: "reshape" }, [x], target);
}

/** x broadcast to `shape` (NumPy rules: size-1 and missing leading axes are stretched). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  requireTensor("broadcast", x);
  if (sameShape(shape, x.shape)) return x;
  return x.graph.emit({ op: "broadcast" }, [x], [...shape]);
}

/** x with its axes permuted by `perm` (reversed by default). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  requireTensor("transpose", x);
  const p = perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i);
  return x.graph.emit({ op: "transpose", perm: p }, [x]);
}

/** x with its last two axes swapped: the matrix transpose of each item of a batch. */
export function swapLastAxes(x: Tensor): Tensor {
  requireTensor("transpose", x);
  if (x.rank < 2) throw new ShapeError("transpose", `.T needs rank >= 2, got ${describe(x.label, x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}

/** The block of x of shape `size` starting at `begin`. */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  return requireTensor("slice", x).graph.emit({ op: "slice", begin: [...begin] }, [x], [...size]);
}

/** The tensors joined along `axis` (negative counts from the end); the other axes must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError("concat", "needs a non-empty array of tensors");
  xs.forEach((x, i) => requireTensor("concat", x, i + 1));
  const ax = axis < 0 ? axis + xs[0]!.rank : axis;
  return xs.length === 1 ? xs[0]! : xs[0]!.graph.emit({ op: "concat", axis: ax }, xs);
}

/** The slices of x at the integer `indices` along `axis`: the index tensor's shape replaces that axis. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  requireTensor("gather", x, 1);
  requireTensor("gather", indices, 2);
  const ax = axis < 0 ? axis + x.rank : axis;
  return x.graph.emit({ op: "gather", axis: ax }, [x, indices]);
}

/** The reverse of gather: a tensor with `size` entries along `axis`, each the sum of the updates whose index names it. */
export function scatterAdd(updates: Tensor, indices: Tensor, axis: number, size: number): Tensor {
  requireTensor("scatterAdd", updates, 1);
  requireTensor("scatterAdd", indices, 2);
  // A negative axis counts from the end of the result, which has the rank of x in gather(x, ...).
  const rank = updates.rank - indices.rank + 1;
  const ax = axis < 0 ? axis + rank : axis;
  return updates.graph.emit({ op: "scatterAdd", axis: ax }, [updates, indices], [size]);
}

/** A tensor of zeros of `shape` (like's by default), in like's graph and dtype. */
export function zeros(like: Tensor, shape: Shape = like.shape): Tensor {
  return broadcastTo(like.graph.constant(0, [], like.dtype), shape);
}

/** Sums a broadcast result back to the shape of the argument that was broadcast. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return reshape(axes.length ? sumKeep(g, axes) : g, shape);
}

/** Surrounds `x` with zeros: `before[i]` and `after[i]` along axis i (the slice's transpose). */
export function padZeros(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  let out = x;
  for (let axis = 0; axis < x.rank; axis++) {
    const parts: Tensor[] = [];
    const sized = (n: number): number[] => out.shape.map((d, i) => (i === axis ? n : d));
    if (before[axis]! > 0) parts.push(zeros(out, sized(before[axis]!)));
    parts.push(out);
    if (after[axis]! > 0) parts.push(zeros(out, sized(after[axis]!)));
    out = concat(parts, axis);
  }
  return out;
}
