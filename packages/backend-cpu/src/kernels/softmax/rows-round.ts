/**
 * Float32 softmax rows on the threads: a round of chunks of whole rows over the shared module's
 * row kernels (softmax-wasm.ts). Large softmaxes only: small ones run on the calling thread.
 */
import type { GemmKernels } from "../../wasm/gemm-driver.js";
import { blockOf, defineLayout, ROUND_KIND } from "../../threads/layout.js";
import { roundRunner, type RunnerContext } from "../../threads/runner.js";
import { SOFTMAX_SPLIT_MIN_ELEMENTS, type Threads } from "../../threads/threads.js";

/** Chunks per thread to aim for: the last chunk's imbalance is then a few percent. */
const CHUNKS_PER_THREAD = 8;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** Softmax rows: byte offsets of x, the bias row(s) and out, the bias's period, rows per chunk. */
export const SOFTMAX_LAYOUT = defineLayout("softmax rows", ["biased", "rows", "cols", "x", "bias", "out", "period", "perChunk"]);

/**
 * A round of float32 softmax rows for the pool: chunks of whole rows, aligned to the bias's
 * period so every chunk starts at a bias row's first row (the kernel counts periods from there).
 */
export function planSoftmaxRows(x: number, bias: number, out: number, rows: number, cols: number, period: number, threads: number): Float64Array {
  let perChunk = Math.max(1, Math.ceil(rows / (threads * CHUNKS_PER_THREAD)));
  if (bias >= 0 && period < rows) perChunk = roundUp(perChunk, period);
  return blockOf(ROUND_KIND.softmaxRows, SOFTMAX_LAYOUT, { biased: bias >= 0 ? 1 : 0, rows, cols, x, bias: Math.max(bias, 0), out, period, perChunk, total: Math.ceil(rows / perChunk) });
}

/** Rows [r0, r0 + perChunk) of a softmax round (a multiple of the period when the bias has several rows). */
function runSoftmaxRows(p: Float64Array, chunk: number, _thread: number, context: RunnerContext, w: typeof SOFTMAX_LAYOUT.words): void {
  const ex = context.kernels[0]!;
  const r0 = chunk * p[w.perChunk]!;
  const count = Math.min(p[w.perChunk]!, p[w.rows]! - r0);
  const rowBytes = p[w.cols]! * 4;
  if (p[w.biased]) ex.rows32Bias!(p[w.x]! + r0 * rowBytes, p[w.bias]! + Math.floor(r0 / p[w.period]!) * rowBytes, p[w.out]! + r0 * rowBytes, count, p[w.cols]!, p[w.period]!);
  else ex.rows32!(p[w.x]! + r0 * rowBytes, p[w.out]! + r0 * rowBytes, count, p[w.cols]!);
}

/** The softmax rows' runner. */
export const SOFTMAX_RUNNER = roundRunner(ROUND_KIND.softmaxRows, SOFTMAX_LAYOUT, runSoftmaxRows);

/**
 * Float32 row softmax (of x less a row-vector bias when `bias` >= 0; see SoftmaxKernel) on the
 * shared module's kernels, shared with the worker threads when the rows are many. Byte offsets.
 */
export function softmaxRows(threads: Threads, kernels: GemmKernels, x: number, bias: number, out: number, rows: number, cols: number, period: number): void {
  if (!kernels.rows32 || !kernels.rows32Bias) throw new Error("cpu softmax: rows need the WebAssembly SIMD kernels");
  if (rows === 0 || cols === 0) return;
  if (threads.pooled && rows > 1 && rows * cols >= SOFTMAX_SPLIT_MIN_ELEMENTS) threads.run(planSoftmaxRows(x, bias, out, rows, cols, period, threads.count));
  else if (bias >= 0) kernels.rows32Bias(x, bias, out, rows, cols, period);
  else kernels.rows32(x, out, rows, cols);
}
