import type { DType, Node } from "@unfold/core";
import type { Step } from "../plan/steps.js";
import type { View } from "../plan/view.js";
import type { SoftmaxKernel } from "./softmax-wasm.js";

export interface SoftmaxMatch {
  /** The softmax's argument. */
  readonly input: number;
  /** The decomposition's inner nodes, which the fused kernel replaces. */
  readonly internal: number[];
}

/**
 * Finds core's softmax decomposition over the last axis, div(e, sum(e)) with
 * e = exp(x - stopGradient(max(x))), where nothing outside reads the inner nodes: those run as one
 * row kernel (max, exponentiate-and-sum, scale) instead of four loops and two buffers.
 */
export function detectSoftmax(nodes: readonly Node[], uses: readonly number[], outputs: ReadonlySet<number>): Map<number, SoftmaxMatch> {
  const found = new Map<number, SoftmaxMatch>();
  const only = (id: number, count: number): boolean => uses[id] === count && !outputs.has(id);
  for (const d of nodes) {
    if (d.op !== "div" || d.composite !== "softmax") continue;
    const e = nodes[d.inputs[0]!]!;
    const s = nodes[d.inputs[1]!]!;
    if (e.op !== "exp" || s.op !== "sum" || s.inputs[0] !== e.id) continue;
    const sub = nodes[e.inputs[0]!]!;
    if (sub.op !== "sub") continue;
    // The shift may still carry its stopGradient, or core's simplify may have removed it.
    const shift = nodes[sub.inputs[1]!]!;
    const sg = shift.op === "stopGradient" ? shift : undefined;
    const r = sg ? nodes[shift.inputs[0]!]! : shift;
    const x = sub.inputs[0]!;
    const last = d.shape.length - 1;
    const lastAxis = (axes: readonly number[]): boolean => axes.length === 1 && axes[0] === last;
    if (r.op !== "reduceMax" || r.inputs[0] !== x || !lastAxis(r.axes) || !lastAxis(s.axes)) continue;
    if (!(only(r.id, 1) && (!sg || only(sg.id, 1)) && only(sub.id, 1) && only(e.id, 2) && only(s.id, 1))) continue;
    found.set(d.id, { input: x, internal: [r.id, ...(sg ? [sg.id] : []), sub.id, e.id, s.id] });
  }
  return found;
}

/** Smallest normal float32: below it a float32 is subnormal, and reading one costs a microcode assist. */
const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * Softmax over the last axis of a contiguous input, into a contiguous output. In float32,
 * weights below the smallest normal are stored as 0: exp(x - max) underflows there for far-apart
 * logits, and subnormal operands slow every later reader (this loop's rescale, and the matrix
 * product that applies the weights) by an order of magnitude. Their contribution is below
 * 1e-38 of the row's total, far under float32 resolution. Float32 runs on `wasm`, the
 * WebAssembly SIMD kernel (softmax-wasm.ts), where there is one.
 */
export function softmaxStep(x: View, shape: readonly number[], out: number, dtype: DType, label: string, wasm?: SoftmaxKernel): Step {
  const cols = shape.at(-1) ?? 1;
  const rows = cols === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / cols;
  if (dtype === "float32" && wasm) {
    // ctx.base holds element offsets; the kernel takes byte offsets.
    return { label, reads: [x.slot], writes: out, run: (ctx) => wasm.rows32((ctx.base[x.slot]! + x.offset) * 4, ctx.base[out]! * 4, rows, cols) };
  }
  const kernel = dtype === "float32" ? softmaxRows32 : softmaxRows64;
  return {
    label,
    reads: [x.slot],
    writes: out,
    run: (ctx) => kernel(dtype === "float32" ? ctx.f32 : ctx.f64, ctx.base[x.slot]! + x.offset, ctx.base[out]!, rows, cols),
  };
}

// Two copies of one loop, so each stays monomorphic in its typed-array type.
function softmaxRows32(a: Float32Array | Float64Array, xb: number, ob: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const xi = xb + r * cols;
    const oi = ob + r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, a[xi + j]!);
    let total = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.exp(a[xi + j]! - max);
      total += v;
      a[oi + j] = v < FLOAT32_TINY ? 0 : v;
    }
    const scale = 1 / total;
    for (let j = 0; j < cols; j++) {
      const v = a[oi + j]! * scale;
      a[oi + j] = v < FLOAT32_TINY ? 0 : v;
    }
  }
}

function softmaxRows64(a: Float32Array | Float64Array, xb: number, ob: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const xi = xb + r * cols;
    const oi = ob + r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, a[xi + j]!);
    let total = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.exp(a[xi + j]! - max);
      total += v;
      a[oi + j] = v;
    }
    const scale = 1 / total;
    for (let j = 0; j < cols; j++) a[oi + j]! *= scale;
  }
}
