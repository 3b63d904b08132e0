/**
 * The fused Yang attention weights, softmax_j(A_t A_t^T - 1 b_t^T) per item (GramSoftmaxCall), in
 * one pass per item: the product's lower triangle, then the Gram softmax kernels, then the product
 * with V_t when given; items run on the threads when large enough (rounds.ts).
 */
import { BLOCKING, type GemmKernels, SCRATCH_ALIGN } from "../../wasm/gemm-driver.js";
import { checkOperand, checkScratch, isCount } from "../../wasm/operand-bounds.js";
import { SOFTMAX_SPLIT_MIN_ELEMENTS, type Threads } from "../../threads/threads.js";
import type { GramSoftmaxCall } from "../../steps/calls.js";
import { gramSoftmaxLayout, planGramSoftmax } from "./rounds.js";

/** The Gram softmax over the backend's threads and the shared module's float32 kernels. */
export class GramSoftmaxEngine {
  private disposed = false;

  constructor(
    private readonly memory: WebAssembly.Memory,
    /** The shared module's float32 kernel table; undefined without SIMD. */
    private readonly kernels: GemmKernels | undefined,
    private readonly threads: Threads,
  ) {}

  /**
   * Whether run() serves `items` items of n x n from n x k operands at least as well as a
   * batched product and a row softmax would: the SIMD kernels are there, and either the items
   * share out evenly among the threads or the work is too small to thread anyway.
   */
  supported(n: number, k: number, items: number): boolean {
    if (!this.kernels?.gramExp32 || !(n >= 1 && k >= 1 && items >= 1)) return false;
    const pooled = this.threads.pooled;
    if (!this.threaded(n, k, items)) {
      // On one thread either way: fusing only saves work, unless the unfused steps would thread.
      const work = n * n * k;
      const min = this.threads.minSplitWork;
      const productThreads = pooled && (work >= min || (items >= 2 && work * items >= min));
      return !productThreads && !(pooled && n * n * items >= SOFTMAX_SPLIT_MIN_ELEMENTS);
    }
    return items >= 2 * this.threads.count || items % this.threads.count === 0;
  }

  /** Whether a Gram softmax's items go to the threads (a round of one item a chunk). */
  private threaded(n: number, k: number, items: number): boolean {
    return this.threads.pooled && items >= 2 && (n * n * k * items >= this.threads.minSplitWork || n * n * items >= SOFTMAX_SPLIT_MIN_ELEMENTS);
  }

  /** Bytes of scratch run() needs for such items (dv: the value product's columns, 0 without). */
  scratchBytes(n: number, k: number, items: number, dv = 0): number {
    const threads = this.threaded(n, k, items) ? this.threads.count : 1;
    return SCRATCH_ALIGN + threads * gramSoftmaxLayout(BLOCKING.float32, n, k, dv).bytes;
  }

  /** Computes one call; only where supported() says so. */
  run(call: GramSoftmaxCall, scratch: number): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    const { n, k, items } = call;
    if (!this.supported(n, k, items)) throw new Error(`gemm: gramSoftmax does not serve ${items} items of ${n}x${n}x${k} here`);
    const threaded = this.threaded(n, k, items);
    // The plan's scratch is scratchBytes's, for the threads it runs on.
    const { params, scratchBytes } = planGramSoftmax(call, BLOCKING.float32, threaded ? this.threads.count : 1, scratch);
    validateGram(call, this.memory.buffer.byteLength, scratch, scratchBytes);
    if (threaded) this.threads.run(params);
    else this.threads.runHere(params);
  }

  /** The block of one item of a Gram softmax (a chunk of run()'s round), for item rounds; undefined without workers or SIMD. */
  itemBlock(call: GramSoftmaxCall): Float64Array | undefined {
    if (!this.threads.pooled || !this.kernels?.gramExp32 || call.n * call.k === 0) return undefined;
    return planGramSoftmax(call, BLOCKING.float32, this.threads.count, 0).params;
  }

  /** Nothing runs afterwards. */
  dispose(): void {
    this.disposed = true;
  }
}

/** Rejects Gram softmax calls whose operands leave the memory (a worker's trap would lose its message). */
function validateGram(call: GramSoftmaxCall, memoryBytes: number, scratch: number, scratchBytes: number): void {
  const what = "gemm: gramSoftmax";
  const { n, k, items } = call;
  if (!(isCount(n) && isCount(k) && isCount(items))) throw new RangeError(`${what} sizes must be non-negative integers, got ${items} items of ${n}x${k}`);
  if (!(Number.isInteger(call.rsA) && Number.isInteger(call.csA) && Number.isInteger(call.strideA) && Number.isInteger(call.strideBias))) {
    throw new RangeError(`${what} strides must be integers`);
  }
  const last = items - 1;
  for (const t of [0, last]) {
    checkOperand(what, "A", 4, memoryBytes, call.a + t * call.strideA, n, call.rsA, k, call.csA);
    if (!call.biasFromDiagonal) checkOperand(what, "bias", 4, memoryBytes, call.bias + t * call.strideBias, 1, 0, n, 1);
  }
  const v = call.value;
  if (v) {
    if (!(isCount(v.dv) && v.dv > 0 && Number.isInteger(v.rsB) && Number.isInteger(v.csB) && Number.isInteger(v.stride))) {
      throw new RangeError(`${what} value needs dv > 0 and integer strides, got dv ${v.dv}`);
    }
    for (const t of [0, last]) checkOperand(what, "V", 4, memoryBytes, v.b + t * v.stride, n, v.rsB, v.dv, v.csB);
  }
  const cols = v ? v.dv : n;
  checkOperand(what, "out", 4, memoryBytes, call.out, items * n, cols, cols, 1);
  checkScratch(what, scratch, scratchBytes, memoryBytes);
}
