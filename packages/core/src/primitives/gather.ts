import { DTypeError, ShapeError, UnfoldError, describe } from "../errors.js";
import { sizeOf } from "../shape.js";
import * as ops from "../trace/ops.js";
import type { EvalArg, PrimitiveRule } from "./rule.js";

/**
 * gather(x, indices, axis): out[pre, i..., post] = x[pre, indices[i...], post]. Indices are
 * carried in a float tensor holding integers; scatterAdd is its transpose, so each is the
 * other's vector-Jacobian rule.
 */
export const gatherRule: PrimitiveRule<"gather"> = {
  infer: (spec, [x, idx]) => {
    checkAxis("gather", spec.axis, x!.shape.length);
    if (x!.dtype !== idx!.dtype) throw new DTypeError("gather", `indices dtype ${idx!.dtype} differs from ${x!.dtype}`);
    const shape = [...x!.shape.slice(0, spec.axis), ...idx!.shape, ...x!.shape.slice(spec.axis + 1)];
    return { shape, dtype: x!.dtype };
  },
  evaluate: (node, [x, idx]) => {
    const { outer, inner } = split(x!.shape, node.axis);
    const n = x!.shape[node.axis]!;
    const indices = checkedIndices("gather", idx!, n);
    const out = new Float64Array(sizeOf(node.shape));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indices.length; j++) {
        const src = (o * n + indices[j]!) * inner;
        out.set(x!.data.subarray(src, src + inner), (o * indices.length + j) * inner);
      }
    }
    return out;
  },
  vjp: ({ node, cotangent, args }) => [ops.scatterAdd(cotangent, args[1]!, node.axis, args[0]!.shape[node.axis]!), undefined],
};

/** scatterAdd(updates, indices, axis, size): the sum of updates into a zero tensor of `size` rows. */
export const scatterAddRule: PrimitiveRule<"scatterAdd"> = {
  infer: (spec, [u, idx], target) => {
    const size = target?.[0];
    const pre = u!.shape.slice(0, spec.axis);
    const mid = u!.shape.slice(spec.axis, spec.axis + idx!.shape.length);
    if (size === undefined || !Number.isInteger(size) || size < 0 || mid.length !== idx!.shape.length || mid.some((d, i) => d !== idx!.shape[i])) {
      throw new ShapeError(
        "scatterAdd",
        `updates ${describe(u!.label, u!.shape)} do not have indices ${describe(idx!.label, idx!.shape)} at axis ${spec.axis}`,
      );
    }
    if (u!.dtype !== idx!.dtype) throw new DTypeError("scatterAdd", `indices dtype ${idx!.dtype} differs from ${u!.dtype}`);
    return { shape: [...pre, size, ...u!.shape.slice(spec.axis + idx!.shape.length)], dtype: u!.dtype };
  },
  evaluate: (node, [u, idx]) => {
    const { outer, inner } = split(node.shape, node.axis);
    const n = node.shape[node.axis]!;
    const indices = checkedIndices("scatterAdd", idx!, n);
    const out = new Float64Array(sizeOf(node.shape));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indices.length; j++) {
        const src = (o * indices.length + j) * inner;
        const dst = (o * n + indices[j]!) * inner;
        for (let t = 0; t < inner; t++) out[dst + t]! += u!.data[src + t]!;
      }
    }
    return out;
  },
  vjp: ({ node, cotangent, args }) => [ops.gather(cotangent, args[1]!, node.axis), undefined],
};

function checkAxis(op: string, axis: number, rank: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new ShapeError(op, `axis ${axis} is out of range for rank ${rank}`);
}

function split(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)) };
}

function checkedIndices(op: string, idx: EvalArg, n: number): Float64Array {
  for (let i = 0; i < idx.data.length; i++) {
    const v = idx.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new UnfoldError(op, `index ${v} at position ${i} is not an integer in [0, ${n})`);
    }
  }
  return idx.data;
}
