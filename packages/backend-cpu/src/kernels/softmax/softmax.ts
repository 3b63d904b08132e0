import { type DType, type Node, type View } from "@unfold/core";
import type { Step } from "../../steps/step.js";
import type { SoftmaxMatch } from "../../steps/matches.js";
import type { SoftmaxKernel } from "./softmax-wasm.js";

export type { SoftmaxMatch };

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
    const internal = [r.id, ...(sg ? [sg.id] : []), sub.id, e.id, s.id];
    const bias = only(x, 2) ? rowBias(nodes, nodes[x]!) : undefined;
    found.set(d.id, bias ? { input: bias.input, internal: [...internal, x], bias: { node: bias.node, period: bias.period } } : { input: x, internal });
  }
  return found;
}

/**
 * Whether x = sub(L, B) with B one row per batch item (shape [...lead, 1, n], lead equal to x's)
 * or one row for all ([1, ..., 1, n]): the Yang logits less their column term. The subtraction
 * then folds into the softmax kernel, which saves writing and re-reading an n x n buffer.
 */
function rowBias(nodes: readonly Node[], x: Node): { input: number; node: number; period: number } | undefined {
  if (x.op !== "sub") return undefined;
  const [l, b] = [nodes[x.inputs[0]!]!, nodes[x.inputs[1]!]!];
  const rank = x.shape.length;
  if (rank === 0 || l.shape.length !== rank || b.shape.length !== rank || !l.shape.every((d, i) => d === x.shape[i])) return undefined;
  if (b.shape[rank - 1] !== x.shape[rank - 1] || l.dtype !== x.dtype || b.dtype !== x.dtype) return undefined;
  if (rank === 1) return { input: l.id, node: b.id, period: 1 };
  if (b.shape[rank - 2] !== 1) return undefined;
  const lead = x.shape.slice(0, -2);
  const bLead = b.shape.slice(0, -2);
  const rows = x.shape.slice(0, -1).reduce((a, c) => a * c, 1);
  if (bLead.every((d) => d === 1)) return { input: l.id, node: b.id, period: Math.max(rows, 1) };
  if (bLead.every((d, i) => d === lead[i])) return { input: l.id, node: b.id, period: x.shape[rank - 2]! };
  return undefined;
}

/** Smallest normal float32: below it a float32 is subnormal, and reading one costs a microcode assist. */
const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * A row-vector bias subtracted from the softmax's input: row r reads bias row floor(r / period),
 * a contiguous run of `cols` values (period = rows for one bias shared by every row).
 */
export interface SoftmaxBias {
  readonly view: View;
  readonly period: number;
}

/**
 * Softmax over the last axis of a contiguous input (less a row-vector bias, when given), into a
 * contiguous output. In float32, weights below the smallest normal are stored as 0: exp(x - max)
 * underflows there for far-apart logits, and subnormal operands slow every later reader (this
 * loop's rescale, and the matrix product that applies the weights) by an order of magnitude.
 * Their contribution is below 1e-38 of the row's total, far under float32 resolution. Float32
 * runs on `wasm`, the WebAssembly SIMD kernel (softmax-wasm.ts), where there is one. The bias is
 * subtracted in the dtype's own arithmetic, so the result is the unfused subtraction's, exactly.
 */
export function softmaxStep(x: View, shape: readonly number[], out: number, dtype: DType, label: string, wasm?: SoftmaxKernel, bias?: SoftmaxBias): Step {
  const cols = shape.at(-1) ?? 1;
  const rows = cols === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / cols;
  const reads = bias ? [x.slot, bias.view.slot] : [x.slot];
  if (dtype === "float32" && wasm) {
    // ctx.base holds element offsets; the kernel takes byte offsets.
    if (bias) {
      const { view, period } = bias;
      return { label, reads, writes: out, run: (ctx) => wasm.rows32Bias((ctx.base[x.slot]! + x.offset) * 4, (ctx.base[view.slot]! + view.offset) * 4, ctx.base[out]! * 4, rows, cols, period) };
    }
    return { label, reads, writes: out, run: (ctx) => wasm.rows32((ctx.base[x.slot]! + x.offset) * 4, ctx.base[out]! * 4, rows, cols) };
  }
  const kernel = dtype === "float32" ? softmaxRows32 : softmaxRows64;
  return {
    label,
    reads,
    writes: out,
    run: (ctx) =>
      kernel(
        dtype === "float32" ? ctx.f32 : ctx.f64,
        ctx.base[x.slot]! + x.offset,
        ctx.base[out]!,
        rows,
        cols,
        bias ? ctx.base[bias.view.slot]! + bias.view.offset : -1,
        bias?.period ?? 0,
      ),
  };
}

// Two copies of one loop, so each stays monomorphic in its typed-array type. A bias (bb >= 0)
// is subtracted first, rounded to the dtype as a separate subtraction would be.
function softmaxRows32(a: Float32Array | Float64Array, xb: number, ob: number, rows: number, cols: number, bb: number, period: number): void {
  for (let r = 0; r < rows; r++) {
    const xi = xb + r * cols;
    const oi = ob + r * cols;
    const bi = bb + Math.floor(r / period) * cols;
    const at = (j: number): number => (bb >= 0 ? Math.fround(a[xi + j]! - a[bi + j]!) : a[xi + j]!);
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, at(j));
    let total = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.exp(at(j) - max);
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

function softmaxRows64(a: Float32Array | Float64Array, xb: number, ob: number, rows: number, cols: number, bb: number, period: number): void {
  for (let r = 0; r < rows; r++) {
    const xi = xb + r * cols;
    const oi = ob + r * cols;
    const bi = bb + Math.floor(r / period) * cols;
    const at = (j: number): number => (bb >= 0 ? a[xi + j]! - a[bi + j]! : a[xi + j]!);
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, at(j));
    let total = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.exp(at(j) - max);
      total += v;
      a[oi + j] = v;
    }
    const scale = 1 / total;
    for (let j = 0; j < cols; j++) a[oi + j]! *= scale;
  }
}
