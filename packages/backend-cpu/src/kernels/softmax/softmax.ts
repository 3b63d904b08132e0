import { type Composite, type DType, innerReadOnlyByComposite, type Program, type View } from "@unfold/core";
import type { Step } from "../../steps/step.js";
import type { SoftmaxMatch } from "../../steps/matches.js";
import type { SoftmaxKernel } from "./softmax-wasm.js";

export type { SoftmaxMatch };

/**
 * The softmaxes over the last axis among core's composite records (passes/composites in
 * @unfold/core: a Yang attention record carries its plain softmax), where nothing outside reads
 * the inner nodes: those run as one row kernel (max, exponentiate-and-sum, scale) instead of four
 * loops and two buffers. Where the softmax's argument is `logits - bias` with a row-vector bias
 * and the subtraction is read by nothing else, the kernel subtracts the bias itself, which saves
 * writing and re-reading an n x n buffer.
 */
export function detectSoftmax(program: Program, composites: ReadonlyMap<number, Composite>, uses: readonly number[], outputs: ReadonlySet<number>): Map<number, SoftmaxMatch> {
  const found = new Map<number, SoftmaxMatch>();
  for (const record of composites.values()) {
    const softmax = record.kind === "yangAttention" ? record.softmax : record;
    if (softmax.kind !== "softmax" || softmax.axis !== program.nodes[softmax.root]!.shape.length - 1) continue;
    if (!innerReadOnlyByComposite(program, softmax, uses, outputs)) continue;
    const bias = softmax.rowBias;
    const withBias = bias && { root: softmax.root, inner: [...softmax.inner, bias.sub] };
    if (bias && withBias && innerReadOnlyByComposite(program, withBias, uses, outputs)) {
      found.set(softmax.root, { input: bias.logits, internal: withBias.inner, bias: { node: bias.bias, period: bias.period } });
    } else found.set(softmax.root, { input: softmax.input, internal: [...softmax.inner] });
  }
  return found;
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
