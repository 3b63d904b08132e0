/**
 * The CPU backend's matrix-multiply engine: C = A * B over operands that live in one
 * WebAssembly.Memory, with WebAssembly SIMD kernels generated at run time (kernels.ts), cache
 * blocking and packing (wasm/gemm-driver.ts), a plain TypeScript fallback (plain.ts) and large
 * calls shared chunk by chunk with the backend's worker threads (parallel.ts, threads/).
 */
import { BLOCKING, type Blocking, type GemmKernels, SCRATCH_ALIGN, wasmGemm, wasmScratchBytes } from "../../wasm/gemm-driver.js";
import { elementBytes } from "../../wasm/codegen.js";
import { checkOperand, checkScratch, isCount } from "../../wasm/operand-bounds.js";
import type { Threads } from "../../threads/threads.js";
import type { BatchStrides, GemmCall } from "../../steps/calls.js";
import { MIRROR_TILE, packRoundB, planBatched, planMirror, planParallel } from "./parallel.js";
import { plainGemm, plainScratchElements } from "./plain.js";

/** The GEMM: single products and batches, on the calling thread or shared with the threads. */
export class GemmEngine {
  private disposed = false;
  private views: { buffer: ArrayBufferLike; f32: Float32Array; f64: Float64Array } | undefined;

  constructor(
    readonly memory: WebAssembly.Memory,
    /** The shared module's kernel tables by dtype code; undefined on the plain path. */
    private readonly kernels: readonly GemmKernels[] | undefined,
    private readonly threads: Threads,
  ) {}

  /** Bytes of scratch the engine needs for a call (packing buffers); the caller reserves them. */
  scratchBytes(call: GemmCall): number {
    const { m, n, k } = call;
    if (m === 0 || n === 0 || k === 0) return 0;
    const es = elementBytes(call.dtype);
    // The plain path rounds its scratch offset up to alignment, hence the spare alignment.
    const single = this.kernels ? wasmScratchBytes(es, BLOCKING[call.dtype], m, n, k) : SCRATCH_ALIGN + plainScratchElements(k) * es;
    // Whether a call threads moves with the adaptive threshold, so any call that may thread
    // reserves room for both layouts: the answer depends on the call alone.
    if (!this.threads.pooled || m * n * k < this.threads.minSplitWork) return single;
    return Math.max(single, planParallel(call, this.threads.count, this.blocking(call), 0).scratchBytes);
  }

  /**
   * Whether a batch runs item-parallel: each item too small to thread by itself, the batch as a
   * whole worth a round, and the SIMD kernels present (the workers run wasmGemm).
   */
  private batchParallel(call: GemmCall, count: number): boolean {
    const work = call.m * call.n * call.k;
    const min = this.threads.minSplitWork;
    return this.threads.pooled && !!this.kernels && count >= 2 && work > 0 && work < min * 4 && work * count >= min;
  }

  /** Bytes of scratch runBatch needs for `count` items shaped like `call`. */
  batchScratchBytes(call: GemmCall, count: number): number {
    const single = this.scratchBytes(call);
    if (!this.batchParallel(call, count)) return single;
    return Math.max(single, planBatched(call, count, { a: 0, b: 0, c: 0 }, this.blocking(call)!, this.threads.count, 0).scratchBytes);
  }

  /**
   * `count` products shaped like `call`, item t's operands `strides` bytes (a, b, c) after item
   * t - 1's. Items too small to split one by one run whole on the threads, one item each;
   * otherwise they run one after another, as `run` would.
   */
  runBatch(call: GemmCall, count: number, strides: BatchStrides, scratch: number): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    if (!this.batchParallel(call, count) || call.n === 0) {
      for (let t = 0; t < count; t++) this.run({ ...call, a: call.a + t * strides.a, b: call.b + t * strides.b, c: call.c + t * strides.c }, scratch);
      return;
    }
    const last = count - 1;
    validate({ ...call, a: call.a + last * strides.a, b: call.b + last * strides.b, c: call.c + last * strides.c }, this.memory.buffer.byteLength, scratch, this.batchScratchBytes(call, count));
    validate(call, this.memory.buffer.byteLength, scratch, 0);
    this.threads.run(planBatched(call, count, strides, this.blocking(call)!, this.threads.count, scratch).params);
  }

  /** Synchronous; may use the worker threads. */
  run(call: GemmCall, scratch: number): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    const { dtype, m, n, k } = call;
    validate(call, this.memory.buffer.byteLength, scratch, this.scratchBytes(call));
    if (m === 0 || n === 0) return;
    const es = elementBytes(dtype);
    const code = dtype === "float32" ? 0 : 1;
    if (k === 0) {
      const h = this.view(code);
      for (let i = 0; i < m; i++) h.fill(0, call.c / es + i * call.rsC, call.c / es + i * call.rsC + n);
      return;
    }
    if (this.threads.pooled && this.threads.shouldThread(m * n * k)) {
      // Threaded chunks above the diagonal of a symmetric product do nothing; mirror them after.
      const plan = planParallel(call, this.threads.count, this.blocking(call), scratch);
      const kernels = this.kernels;
      // The caller packs each round's B block; the workers only ever read it.
      this.threads.runProduct(plan.rounds, kernels ? (params) => packRoundB(kernels[code]!, params) : () => {});
      if (call.symmetric) this.mirror(call);
    } else if (this.kernels) {
      // A symmetric call computes its lower triangle and mirrors it (wasm/gemm-driver.ts).
      const symmetric = call.symmetric ?? false;
      wasmGemm(this.kernels[code]!, es, BLOCKING[dtype], m, n, k, call.a, call.rsA, call.csA, call.b, call.rsB, call.csB, call.c, call.rsC, scratch, symmetric ? 1 : 0);
    } else {
      // The plain path computes the whole product, symmetric or not.
      const at = (x: number): number => x / es;
      const s = Math.ceil(scratch / SCRATCH_ALIGN) * SCRATCH_ALIGN;
      plainGemm(this.view(code), m, n, k, at(call.a), call.rsA, call.csA, at(call.b), call.rsB, call.csB, at(call.c), call.rsC, at(s));
    }
  }

  /** Copies a symmetric product's lower triangle onto its upper one, on the workers too when large. */
  private mirror(call: GemmCall): void {
    const es = elementBytes(call.dtype);
    if (this.threads.pooled && call.n >= 4 * MIRROR_TILE) this.threads.run(planMirror(call.dtype, call.n, call.c / es, call.rsC));
    else if (this.kernels) this.kernels[call.dtype === "float32" ? 0 : 1]!.mirror(call.c, call.rsC * es, call.n, 0, call.n);
    else mirrorLowerTriangle(this.view(call.dtype === "float32" ? 0 : 1), call.c / es, call.rsC, call.n);
  }

  /**
   * The parameter block of one item of `items` batched products shaped like `call` (a chunk of
   * runBatch's round; its per-thread scratch share in BATCH_ITEM_WORDS.scratch), for item
   * rounds: undefined without worker threads and SIMD kernels.
   */
  batchItemBlock(call: GemmCall, items: number, strides: BatchStrides): Float64Array | undefined {
    if (!this.threads.pooled || !this.kernels || call.m * call.n * call.k === 0) return undefined;
    return planBatched(call, items, strides, BLOCKING[call.dtype], this.threads.count, 0).params;
  }

  /** Nothing runs afterwards (the threads are the backend's to stop). */
  dispose(): void {
    this.disposed = true;
  }

  private blocking(call: GemmCall): Blocking | undefined {
    return this.kernels ? BLOCKING[call.dtype] : undefined;
  }

  private view(code: number): Float32Array | Float64Array {
    const buffer = this.memory.buffer;
    if (!this.views || this.views.buffer !== buffer) this.views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
    return code ? this.views.f64 : this.views.f32;
  }
}

/** Rejects calls whose operands leave the memory or are misaligned (wasm/operand-bounds.ts). */
function validate(call: GemmCall, memoryBytes: number, scratch: number, scratchBytes: number): void {
  const { dtype, m, n, k } = call;
  const es = elementBytes(dtype);
  if (!(isCount(m) && isCount(n) && isCount(k))) throw new RangeError(`gemm: sizes must be non-negative integers, got ${m}x${n}x${k}`);
  if (!(Number.isInteger(call.rsA) && Number.isInteger(call.csA) && Number.isInteger(call.rsB) && Number.isInteger(call.csB) && Number.isInteger(call.rsC))) {
    throw new RangeError("gemm: strides must be integers");
  }
  checkOperand("gemm", "A", es, memoryBytes, call.a, m, call.rsA, k, call.csA);
  checkOperand("gemm", "B", es, memoryBytes, call.b, k, call.rsB, n, call.csB);
  checkOperand("gemm", "C", es, memoryBytes, call.c, m, call.rsC, n, 1);
  if (call.symmetric && !(m === n && call.b === call.a && call.rsB === call.csA && call.csB === call.rsA)) {
    throw new RangeError(`gemm: a symmetric call needs B = A^T (m = n, same offset, swapped strides), got ${m}x${n}x${k}, a ${call.a} b ${call.b}`);
  }
  if (scratchBytes > 0) checkScratch("gemm", scratch, scratchBytes, memoryBytes);
}

/** C[i, j] = C[j, i] for j > i, in square tiles so both sides stay in cache. */
function mirrorLowerTriangle(h: Float32Array | Float64Array, c: number, rsC: number, n: number): void {
  const tile = 32;
  for (let ib = 0; ib < n; ib += tile) {
    const iEnd = Math.min(ib + tile, n);
    for (let jb = ib; jb < n; jb += tile) {
      const jEnd = Math.min(jb + tile, n);
      for (let i = ib; i < iEnd; i++) {
        const row = c + i * rsC;
        for (let j = Math.max(jb, i + 1); j < jEnd; j++) h[row + j] = h[c + j * rsC + i]!;
      }
    }
  }
}
