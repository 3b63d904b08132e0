import { DTypeError, ShapeError, describe, formatShape } from "../errors.js";
import { broadcastsTo, sizeOf, stridesOf } from "../shape.js";
import * as ops from "../trace/ops.js";
import { broadcastOffsets, offsetsFor } from "./indexing.js";
import type { PrimitiveRule } from "./rule.js";

export const reshapeRule: PrimitiveRule<"reshape"> = {
  infer: (_spec, [x], target) => {
    if (!target || sizeOf(target) !== sizeOf(x!.shape)) {
      throw new ShapeError(
        "reshape",
        `cannot reshape ${describe(x!.label, x!.shape)} (${sizeOf(x!.shape)} elements) to ${formatShape(target ?? [])}`,
      );
    }
    return { shape: target, dtype: x!.dtype };
  },
  evaluate: (_node, [x]) => x!.data.slice(),
  vjp: ({ cotangent, args }) => [ops.reshape(cotangent, args[0]!.shape)],
};

export const broadcastRule: PrimitiveRule<"broadcast"> = {
  infer: (_spec, [x], target) => {
    if (!target || !broadcastsTo(x!.shape, target)) {
      throw new ShapeError("broadcast", `cannot broadcast ${describe(x!.label, x!.shape)} to ${formatShape(target ?? [])}`);
    }
    return { shape: target, dtype: x!.dtype };
  },
  evaluate: (node, [x]) => {
    const from = broadcastOffsets(x!.shape, node.shape);
    return Float64Array.from(from, (o) => x!.data[o]!);
  },
  vjp: ({ cotangent, args }) => [ops.sumToShape(cotangent, args[0]!.shape)],
};

export const transposeRule: PrimitiveRule<"transpose"> = {
  infer: (spec, [x]) => {
    const rank = x!.shape.length;
    const ok = spec.perm.length === rank && [...spec.perm].sort((p, q) => p - q).every((p, i) => p === i);
    if (!ok) {
      throw new ShapeError("transpose", `[${spec.perm.join(", ")}] is not a permutation of the axes of ${describe(x!.label, x!.shape)}`);
    }
    return { shape: spec.perm.map((p) => x!.shape[p]!), dtype: x!.dtype };
  },
  evaluate: (node, [x]) => {
    const inStrides = stridesOf(x!.shape);
    const from = offsetsFor(node.shape, node.perm.map((p) => inStrides[p]!));
    return Float64Array.from(from, (o) => x!.data[o]!);
  },
  vjp: ({ node, cotangent }) => {
    const inverse = new Array<number>(node.perm.length);
    node.perm.forEach((p, i) => (inverse[p] = i));
    return [ops.transpose(cotangent, inverse)];
  },
};

/** A contiguous box of the input: `begin` per axis, the node's shape as its size. */
export const sliceRule: PrimitiveRule<"slice"> = {
  infer: (spec, [x], target) => {
    const shape = x!.shape;
    const size = target ?? [];
    const bad =
      spec.begin.length !== shape.length ||
      size.length !== shape.length ||
      spec.begin.some((b, i) => !Number.isInteger(b) || b < 0 || b + size[i]! > shape[i]!) ||
      size.some((s) => !Number.isInteger(s) || s < 0);
    if (bad) {
      throw new ShapeError(
        "slice",
        `begin ${formatShape(spec.begin)} with size ${formatShape(size)} does not fit inside ${describe(x!.label, shape)}`,
      );
    }
    return { shape: size, dtype: x!.dtype };
  },
  evaluate: (node, [x]) => {
    const strides = stridesOf(x!.shape);
    const base = node.begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
    const from = offsetsFor(node.shape, strides, base);
    return Float64Array.from(from, (o) => x!.data[o]!);
  },
  vjp: ({ node, cotangent, args }) => {
    const full = args[0]!.shape;
    const after = full.map((d, i) => d - node.begin[i]! - node.shape[i]!);
    return [ops.padZeros(cotangent, node.begin, after)];
  },
};

export const concatRule: PrimitiveRule<"concat"> = {
  infer: (spec, args) => {
    if (args.length === 0) throw new ShapeError("concat", "needs at least one tensor");
    const first = args[0]!;
    const rank = first.shape.length;
    if (!Number.isInteger(spec.axis) || spec.axis < 0 || spec.axis >= rank) {
      throw new ShapeError("concat", `axis ${spec.axis} is out of range for rank ${rank}`);
    }
    let total = 0;
    for (const a of args) {
      if (a.dtype !== first.dtype) throw new DTypeError("concat", `dtype mismatch: ${first.dtype} vs ${a.dtype}`);
      const fits = a.shape.length === rank && a.shape.every((d, i) => i === spec.axis || d === first.shape[i]);
      if (!fits) {
        throw new ShapeError(
          "concat",
          `${describe(a.label, a.shape)} does not match ${describe(first.label, first.shape)} outside axis ${spec.axis}`,
        );
      }
      total += a.shape[spec.axis]!;
    }
    return { shape: first.shape.map((d, i) => (i === spec.axis ? total : d)), dtype: first.dtype };
  },
  evaluate: (node, args) => {
    const out = new Float64Array(sizeOf(node.shape));
    const outer = sizeOf(node.shape.slice(0, node.axis));
    const rowOut = sizeOf(node.shape.slice(node.axis));
    let column = 0;
    for (const a of args) {
      const row = sizeOf(a.shape.slice(node.axis));
      for (let o = 0; o < outer; o++) out.set(a.data.subarray(o * row, (o + 1) * row), o * rowOut + column);
      column += row;
    }
    return out;
  },
  vjp: ({ node, cotangent, args }) => {
    let start = 0;
    return args.map((a) => {
      const begin = a.shape.map((_, i) => (i === node.axis ? start : 0));
      start += a.shape[node.axis]!;
      return ops.slice(cotangent, begin, a.shape);
    });
  },
};
