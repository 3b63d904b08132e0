import { type DType, UnfoldError, type View } from "@unfold/core";
import type { Step } from "../../steps/step.js";

function outerInner(shape: readonly number[], axis: number): { outer: number; inner: number } {
  const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
  return { outer: prod(shape.slice(0, axis)), inner: prod(shape.slice(axis + 1)) };
}

function index(op: string, value: number, position: number, n: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= n) {
    throw new UnfoldError(op, `index ${value} at position ${position} is not an integer in [0, ${n})`);
  }
  return value;
}

/** out[o, j, i] = x[o, idx[j], i] over contiguous views. */
export function gatherStep(x: View, xShape: readonly number[], idx: View, outShape: readonly number[], axis: number, out: number, dtype: DType, label: string): Step {
  const { outer, inner } = outerInner(xShape, axis);
  const n = xShape[axis]!;
  const count = outShape.reduce((a, b) => a * b, 1) / Math.max(1, outer * inner);
  return {
    label,
    reads: [x.slot, idx.slot],
    writes: out,
    run: (ctx) => {
      const a = dtype === "float32" ? ctx.f32 : ctx.f64;
      const xb = ctx.base[x.slot]! + x.offset;
      const ib = ctx.base[idx.slot]! + idx.offset;
      const ob = ctx.base[out]!;
      for (let j = 0; j < count; j++) {
        const row = index("gather", a[ib + j]!, j, n);
        for (let o = 0; o < outer; o++) a.copyWithin(ob + (o * count + j) * inner, xb + (o * n + row) * inner, xb + (o * n + row + 1) * inner);
      }
    },
  };
}

/** out = zeros; out[o, idx[j], i] += u[o, j, i] over contiguous views. */
export function scatterAddStep(u: View, uShape: readonly number[], idx: View, outShape: readonly number[], axis: number, out: number, dtype: DType, label: string): Step {
  const { outer, inner } = outerInner(outShape, axis);
  const n = outShape[axis]!;
  const count = uShape.reduce((a, b) => a * b, 1) / Math.max(1, outer * inner);
  const total = outShape.reduce((a, b) => a * b, 1);
  return {
    label,
    reads: [u.slot, idx.slot],
    writes: out,
    run: (ctx) => {
      const a = dtype === "float32" ? ctx.f32 : ctx.f64;
      const ub = ctx.base[u.slot]! + u.offset;
      const ib = ctx.base[idx.slot]! + idx.offset;
      const ob = ctx.base[out]!;
      a.fill(0, ob, ob + total);
      for (let j = 0; j < count; j++) {
        const row = index("scatterAdd", a[ib + j]!, j, n);
        for (let o = 0; o < outer; o++) {
          const src = ub + (o * count + j) * inner;
          const dst = ob + (o * n + row) * inner;
          for (let t = 0; t < inner; t++) a[dst + t]! += a[src + t]!;
        }
      }
    },
  };
}
