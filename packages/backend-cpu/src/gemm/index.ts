/**
 * The CPU backend's matrix-multiply engine: C = A * B over operands that live in one
 * WebAssembly.Memory, with WebAssembly SIMD kernels generated at run time (kernels.ts), cache
 * blocking and packing (driver.ts), a plain TypeScript fallback (plain.ts) and, on a shared
 * memory, worker threads that share large calls chunk by chunk (parallel.ts, pool.ts).
 */
import { elementBytes, exportNames, buildGemmModule, detectSimd, DEFAULT_SHAPES, lanes, SOFTMAX_EXPORTS, type GemmDType } from "./kernels.js";
import { SCRATCH_ALIGN, wasmGemm, wasmScratchBytes, type Blocking, type GemmKernels } from "./driver.js";
import { gramSoftmaxLayout, MIRROR_TILE, packRoundB, planBatched, planGramSoftmax, planItemRound, planMirror, planParallel, planSoftmaxRows, ROUND_WORDS, runChunk } from "./parallel.js";
import { plainGemm, plainScratchElements } from "./plain.js";
import { Pool, runKernelBlock } from "./pool.js";
import { threadingLost, ThreadingThreshold } from "./threshold.js";
import type { BatchStrides, GemmCall, GramSoftmaxCall } from "./call.js";

export type { BatchStrides, GemmCall, GramSoftmaxCall } from "./call.js";

export interface Gemm {
  readonly memory: WebAssembly.Memory;
  /** Threads a large call runs on (1 unless the memory is shared and threads were asked for). */
  readonly threads: number;
  /** Whether the WebAssembly SIMD kernels are in use (else the plain TypeScript path). */
  readonly simd: boolean;
  /** Whether those kernels use relaxed SIMD's fused multiply-add (see node.ts). */
  readonly relaxed: boolean;
  /** Bytes of scratch the engine needs for a call (packing buffers); the caller reserves them. */
  scratchBytes(call: GemmCall): number;
  /** Synchronous; may use worker threads internally. */
  run(call: GemmCall, scratch: number): void;
  /** Bytes of scratch runBatch needs for `count` items shaped like `call`. */
  batchScratchBytes(call: GemmCall, count: number): number;
  /**
   * `count` products shaped like `call`, item t's operands `strides` bytes (a, b, c) after item
   * t - 1's. Items too small to split one by one run whole on the threads, one item each;
   * otherwise they run one after another, as `run` would.
   */
  runBatch(call: GemmCall, count: number, strides: BatchStrides, scratch: number): void;
  /**
   * Float32 row softmax (of x less a row-vector bias when `bias` >= 0; see SoftmaxKernel) on the
   * SIMD kernels, shared with the worker threads when the rows are many. Byte offsets. Only
   * where `simd` is true.
   */
  softmaxRows(x: number, bias: number, out: number, rows: number, cols: number, period: number): void;
  /**
   * Whether gramSoftmax serves `items` items of n x n from n x k operands at least as well as a
   * batched product and a row softmax would: the SIMD kernels are there, and either the items
   * share out evenly among the threads or the work is too small to thread anyway.
   */
  gramSoftmaxSupported(n: number, k: number, items: number): boolean;
  /** Bytes of scratch gramSoftmax needs for such items (dv: the value product's columns, 0 without). */
  gramSoftmaxScratchBytes(n: number, k: number, items: number, dv?: number): number;
  /**
   * softmax_j(A_t A_t^T - 1 b_t^T) per item (GramSoftmaxCall) in one pass per item: the product's
   * lower triangle, then the Gram softmax kernels, then the product with V_t when given; items
   * run on the threads when large enough. Only where gramSoftmaxSupported says so.
   */
  gramSoftmax(call: GramSoftmaxCall, scratch: number): void;
  /**
   * Keeps the worker threads awake until the matching release(), for a burst of calls (a
   * program's run): idle workers spin between calls instead of sleeping. No-ops without workers.
   */
  hold(): void;
  release(): void;
  /**
   * Makes a loop kernel module (exporting `kernel(...bases)` over env.memory) callable on the
   * worker threads, for kernelRounds; returns its id, or undefined without workers.
   */
  shareKernel(module: WebAssembly.Module): number | undefined;
  /**
   * Runs a kernel round (pool.ts kernelRound) on the workers and the calling thread, which runs
   * its chunks with `work(chunk)`. Returns how many chunks the calling thread ran.
   */
  runKernelRound(params: Float64Array, work: (chunk: number) => void): number;
  /** Products (a batch's in total) below this many multiply-adds never use the workers (Infinity without any). */
  readonly minThreadedWork: number;
  /**
   * The parameter block of one item of `items` batched products shaped like `call` (a chunk of
   * runBatch's round; its per-thread scratch share in BATCH_ITEM_WORDS.scratch), for item
   * rounds: undefined without worker threads and SIMD kernels.
   */
  batchItemBlock(call: GemmCall, items: number, strides: BatchStrides): Float64Array | undefined;
  /** Likewise one item of a Gram softmax (a chunk of gramSoftmax's round). */
  gramItemBlock(call: GramSoftmaxCall): Float64Array | undefined;
  /**
   * Runs an item round (planItemRound): every thread takes items one at a time through all
   * `count` blocks of its own copy at `blocks + thread * perThread` (bytes). Loop kernel blocks
   * run on the calling thread with the kernel `kernelOf` gives for their id.
   */
  runItems(blocks: number, count: number, perThread: number, items: number, kernelOf: (id: number) => (...bases: number[]) => void): void;
  dispose(): Promise<void>;
}

export interface GemmOptions {
  /** Threads including the caller's; default: every available core. Needs a shared memory. */
  threads?: number;
  /** Use the WebAssembly SIMD kernels when the engine has them (default true). */
  simd?: boolean;
  /**
   * Calls with fewer multiply-adds (m*n*k) run on the calling thread alone. Default: adaptive,
   * from 128^3 (64^3 on the plain path) up to 512^3 while the workers fail to get a core. A
   * given value is fixed (0 threads every call, which tests use).
   */
  parallelThreshold?: number;
}

export type { GemmDType } from "./kernels.js";

/** Cache blocks tuned on a 48 KB L1 / 2 MB L2 core: a kc x nr B micro-panel (8 KB) stays in L1. */
const BLOCKING: Record<GemmDType, Blocking> = {
  float32: { mr: DEFAULT_SHAPES.float32.mr, nr: DEFAULT_SHAPES.float32.nv * lanes("float32"), mc: 48, kc: 256, nc: 4096 },
  float64: { mr: DEFAULT_SHAPES.float64.mr, nr: DEFAULT_SHAPES.float64.nv * lanes("float64"), mc: 96, kc: 256, nc: 4096 },
};

/**
 * Calls with fewer multiply-adds than this stay on the calling thread. Measured here: a
 * back-to-back threaded call costs ~10 us of synchronisation, a worker woken from sleep ~100 us;
 * a 96^3 float32 product takes ~50 us on one core. Dynamic chunking hides most of a late wake-up
 * (the caller just takes more chunks), but the threshold also decides whether a whole run keeps
 * the workers spinning (Gemm.hold), and a spinning worker takes a core from the caller. At 96^3
 * the 12-layer Yang forward on one sequence of 128 tokens (d 64, attention products of 128^2 x 64
 * = 1M multiply-adds) ran 4.7-7.0 ms on two threads against 3.3-3.6 ms on one; at 128^3 its
 * products stay on the caller and it ran 3.8-4.9 ms. Batches of such products still thread
 * item-parallel, and larger products are unaffected.
 */
const SPLIT_MIN_WORK = 128 * 128 * 128;
/**
 * When threading loses time (a worker claimed a chunk and then lost its core to another
 * process), the threshold doubles up to this for a while (threshold.ts), so medium calls stop
 * paying for threads that do not run.
 */
const SPLIT_MAX_WORK = 512 * 512 * 512;
/** How long a raised threshold lasts at first and at most (threshold.ts), in ms. */
const BACKOFF_MIN_MS = 2;
const BACKOFF_MAX_MS = 1000;
/**
 * Softmax rows thread from this many elements: at ~2 ns an element, 64K take ~130 us, well
 * above the ~10 us a threaded round costs when the workers are awake.
 */
const SOFTMAX_SPLIT_MIN_ELEMENTS = 1 << 16;

export async function createGemm(memory: WebAssembly.Memory, options: GemmOptions = {}): Promise<Gemm> {
  const detected = detectSimd();
  const simd = (options.simd ?? true) && detected.simd;
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const wanted = Math.max(1, Math.floor(options.threads ?? (await availableCores())));

  let module: WebAssembly.Module | undefined;
  let kernels: GemmKernels[] | undefined;
  if (simd) {
    const bytes = buildGemmModule({ shared, relaxed: detected.relaxed, shapes: DEFAULT_SHAPES });
    module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const e = instance.exports as Record<string, never>;
    kernels = DTYPES.map((d) => {
      const n = exportNames(d);
      return { macro: e[n.macro], packA: e[n.packA], packB: e[n.packB], mirror: e[n.mirror] };
    });
    for (const [key, name] of Object.entries(SOFTMAX_EXPORTS)) (kernels[0] as unknown as Record<string, unknown>)[key] = e[name];
  }

  let pool: Pool | undefined;
  if (wanted > 1 && shared) pool = await Pool.create(wanted - 1, memory, module, DTYPES.map(exportNames));
  return new Engine(memory, simd, simd && detected.relaxed, kernels, pool, options.parallelThreshold);
}

/** Kernel tables are indexed by dtype code: 0 = float32, 1 = float64. */
const DTYPES: GemmDType[] = ["float32", "float64"];

async function availableCores(): Promise<number> {
  try {
    const os = await import("node:os");
    return os.availableParallelism();
  } catch {
    return 1;
  }
}

class Engine implements Gemm {
  readonly threads: number;
  private disposed = false;
  /** The adaptive threading threshold; undefined where the caller fixed one (minSplitWork). */
  private readonly threshold: ThreadingThreshold | undefined;
  private readonly minSplitWork: number;
  /** Products (a batch's in total) of fewer multiply-adds never use the workers. */
  get minThreadedWork(): number {
    return this.pool ? this.minSplitWork : Infinity;
  }
  private views: { buffer: ArrayBufferLike; f32: Float32Array; f64: Float64Array } | undefined;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly simd: boolean,
    readonly relaxed: boolean,
    private readonly kernels: GemmKernels[] | undefined,
    private pool: Pool | undefined,
    threshold: number | undefined,
  ) {
    this.threads = 1 + (pool?.size ?? 0);
    // The plain path is ~10x slower per multiply-add, so threading pays off at ~1/8 the work.
    this.minSplitWork = threshold ?? (kernels ? SPLIT_MIN_WORK : SPLIT_MIN_WORK / 8);
    this.threshold =
      threshold === undefined
        ? new ThreadingThreshold({ min: this.minSplitWork, max: Math.max(this.minSplitWork, SPLIT_MAX_WORK), minBackoffMs: BACKOFF_MIN_MS, maxBackoffMs: BACKOFF_MAX_MS })
        : undefined;
  }

  scratchBytes(call: GemmCall): number {
    const { m, n, k } = call;
    if (m === 0 || n === 0 || k === 0) return 0;
    const es = elementBytes(call.dtype);
    // The plain path rounds its scratch offset up to alignment, hence the spare alignment.
    const single = this.kernels ? wasmScratchBytes(es, BLOCKING[call.dtype], m, n, k) : SCRATCH_ALIGN + plainScratchElements(k) * es;
    // Whether a call threads moves with the adaptive threshold, so any call that may thread
    // reserves room for both layouts: the answer depends on the call alone.
    if (!this.pool || m * n * k < this.minSplitWork) return single;
    return Math.max(single, planParallel(call, this.threads, this.blocking(call), 0).scratchBytes);
  }

  /**
   * Whether a batch runs item-parallel: each item too small to thread by itself, the batch as a
   * whole worth a round, and the SIMD kernels present (the workers run wasmGemm).
   */
  private batchParallel(call: GemmCall, count: number): boolean {
    const work = call.m * call.n * call.k;
    return !!this.pool && !!this.kernels && count >= 2 && work > 0 && work < this.minSplitWork * 4 && work * count >= this.minSplitWork;
  }

  batchScratchBytes(call: GemmCall, count: number): number {
    const single = this.scratchBytes(call);
    if (!this.batchParallel(call, count)) return single;
    return Math.max(single, planBatched(call, count, { a: 0, b: 0, c: 0 }, this.blocking(call)!, this.threads, 0).scratchBytes);
  }

  runBatch(call: GemmCall, count: number, strides: BatchStrides, scratch: number): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    if (!this.batchParallel(call, count) || call.n === 0) {
      for (let t = 0; t < count; t++) this.run({ ...call, a: call.a + t * strides.a, b: call.b + t * strides.b, c: call.c + t * strides.c }, scratch);
      return;
    }
    const last = count - 1;
    validate({ ...call, a: call.a + last * strides.a, b: call.b + last * strides.b, c: call.c + last * strides.c }, this.memory.buffer.byteLength, scratch, this.batchScratchBytes(call, count));
    validate(call, this.memory.buffer.byteLength, scratch, 0);
    const { params } = planBatched(call, count, strides, this.blocking(call)!, this.threads, scratch);
    const kernels = this.kernels!;
    this.pool!.run(params, (chunk) => runChunk(params, chunk, 0, kernels, this.memory, plainGemm, wasmGemm));
  }

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
    if (this.pool && this.shouldThread(m * n * k)) {
      // Threaded chunks above the diagonal of a symmetric product do nothing; mirror them after.
      this.runThreaded(call, scratch, this.pool);
      if (call.symmetric) this.mirror(call);
    } else if (this.kernels) {
      // A symmetric call computes its lower triangle and mirrors it (driver.ts).
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
    if (this.pool && call.n >= 4 * MIRROR_TILE) {
      const params = planMirror(call.dtype, call.n, call.c / es, call.rsC);
      const kernels = this.kernels ?? [];
      this.pool.run(params, (chunk) => runChunk(params, chunk, 0, kernels, this.memory, plainGemm, wasmGemm));
    } else if (this.kernels) this.kernels[call.dtype === "float32" ? 0 : 1]!.mirror(call.c, call.rsC * es, call.n, 0, call.n);
    else mirrorLowerTriangle(this.view(call.dtype === "float32" ? 0 : 1), call.c / es, call.rsC, call.n);
  }

  softmaxRows(x: number, bias: number, out: number, rows: number, cols: number, period: number): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    const k = this.kernels?.[0];
    if (!k?.rows32 || !k.rows32Bias) throw new Error("gemm: softmaxRows needs the WebAssembly SIMD kernels");
    if (rows === 0 || cols === 0) return;
    if (this.pool && rows > 1 && rows * cols >= SOFTMAX_SPLIT_MIN_ELEMENTS) {
      const params = planSoftmaxRows(x, bias, out, rows, cols, period, this.threads);
      const kernels = this.kernels!;
      this.pool.run(params, (chunk) => runChunk(params, chunk, 0, kernels, this.memory, plainGemm, wasmGemm));
    } else if (bias >= 0) k.rows32Bias(x, bias, out, rows, cols, period);
    else k.rows32(x, out, rows, cols);
  }

  gramSoftmaxSupported(n: number, k: number, items: number): boolean {
    if (!this.kernels?.[0]?.gramExp32 || !(n >= 1 && k >= 1 && items >= 1)) return false;
    if (!this.gramThreaded(n, k, items)) {
      // On one thread either way: fusing only saves work, unless the unfused steps would thread.
      const work = n * n * k;
      const productThreads = this.pool !== undefined && (work >= this.minSplitWork || (items >= 2 && work * items >= this.minSplitWork));
      return !productThreads && !(this.pool && n * n * items >= SOFTMAX_SPLIT_MIN_ELEMENTS);
    }
    return items >= 2 * this.threads || items % this.threads === 0;
  }

  /** Whether a Gram softmax's items go to the threads (a round of one item a chunk). */
  private gramThreaded(n: number, k: number, items: number): boolean {
    return this.pool !== undefined && items >= 2 && (n * n * k * items >= this.minSplitWork || n * n * items >= SOFTMAX_SPLIT_MIN_ELEMENTS);
  }

  gramSoftmaxScratchBytes(n: number, k: number, items: number, dv = 0): number {
    const threads = this.gramThreaded(n, k, items) ? this.threads : 1;
    return SCRATCH_ALIGN + threads * gramSoftmaxLayout(BLOCKING.float32, n, k, dv).bytes;
  }

  gramSoftmax(call: GramSoftmaxCall, scratch: number): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    const { n, k, items } = call;
    if (!this.gramSoftmaxSupported(n, k, items)) throw new Error(`gemm: gramSoftmax does not serve ${items} items of ${n}x${n}x${k} here`);
    const threaded = this.gramThreaded(n, k, items);
    // The plan's scratch is gramSoftmaxScratchBytes's, for the threads it runs on.
    const { params, scratchBytes } = planGramSoftmax(call, BLOCKING.float32, threaded ? this.threads : 1, scratch);
    validateGram(call, this.memory.buffer.byteLength, scratch, scratchBytes);
    const kernels = this.kernels!;
    const item = (chunk: number): void => runChunk(params, chunk, 0, kernels, this.memory, plainGemm, wasmGemm);
    if (threaded) this.pool!.run(params, item);
    else for (let t = 0; t < items; t++) item(t);
  }

  batchItemBlock(call: GemmCall, items: number, strides: BatchStrides): Float64Array | undefined {
    if (!this.pool || !this.kernels || call.m * call.n * call.k === 0) return undefined;
    return planBatched(call, items, strides, BLOCKING[call.dtype], this.threads, 0).params;
  }

  gramItemBlock(call: GramSoftmaxCall): Float64Array | undefined {
    if (!this.pool || !this.kernels?.[0]?.gramExp32 || call.n * call.k === 0) return undefined;
    return planGramSoftmax(call, BLOCKING.float32, this.threads, 0).params;
  }

  runItems(blocks: number, count: number, perThread: number, items: number, kernelOf: (id: number) => (...bases: number[]) => void): void {
    if (this.disposed) throw new Error("gemm: run after dispose");
    const end = blocks + (this.threads - 1) * perThread + count * ROUND_WORDS * 8;
    if (!(Number.isInteger(blocks) && blocks >= 0 && blocks % 8 === 0 && end <= this.memory.buffer.byteLength)) {
      throw new RangeError(`gemm: item blocks [${blocks}, ${end}) are outside the memory (${this.memory.buffer.byteLength} bytes) or misaligned`);
    }
    const params = planItemRound(blocks, count, perThread, items);
    const kernels = this.kernels ?? [];
    const loop = (block: Float64Array, chunk: number): void => runKernelBlock(block, chunk, kernelOf);
    const item = (chunk: number): void => runChunk(params, chunk, 0, kernels, this.memory, plainGemm, wasmGemm, loop);
    if (this.pool) this.pool.run(params, item);
    else for (let t = 0; t < items; t++) item(t);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.dispose();
  }

  hold(): void {
    this.pool?.hold();
  }

  shareKernel(module: WebAssembly.Module): number | undefined {
    return this.pool?.share(module);
  }

  runKernelRound(params: Float64Array, work: (chunk: number) => void): number {
    if (this.disposed) throw new Error("gemm: run after dispose");
    if (!this.pool) throw new Error("gemm: a kernel round needs worker threads");
    return this.pool.run(params, work);
  }

  release(): void {
    this.pool?.release();
  }

  /** Whether a call of `work` multiply-adds threads: at or above the threshold now. */
  private shouldThread(work: number): boolean {
    if (work < this.minSplitWork) return false;
    return !this.threshold || this.threshold.shouldThread(work, performance.now());
  }

  private runThreaded(call: GemmCall, scratch: number, pool: Pool): void {
    const plan = planParallel(call, this.threads, this.blocking(call), scratch);
    const kernels = this.kernels ?? [];
    const start = performance.now();
    let local = 0;
    let total = 0;
    let waited = 0;
    for (const round of plan.rounds) {
      // The caller packs the round's B block; the workers only ever read it.
      if (this.kernels) packRoundB(kernels[round.params[1]!]!, round.params);
      local += pool.run(round.params, (chunk) => runChunk(round.params, chunk, 0, kernels, this.memory, plainGemm, wasmGemm));
      total += round.total;
      waited += pool.lastWaitMs;
    }
    this.threshold?.record(threadingLost(performance.now() - start, waited, local, total), performance.now());
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

/**
 * Rejects calls whose operands leave the memory or are misaligned: the plain path's typed
 * arrays would silently read undefined / drop writes, and a worker's trap would lose its message.
 */
function validate(call: GemmCall, memoryBytes: number, scratch: number, scratchBytes: number): void {
  const { dtype, m, n, k } = call;
  const es = elementBytes(dtype);
  if (!(isCount(m) && isCount(n) && isCount(k))) throw new RangeError(`gemm: sizes must be non-negative integers, got ${m}x${n}x${k}`);
  if (!(Number.isInteger(call.rsA) && Number.isInteger(call.csA) && Number.isInteger(call.rsB) && Number.isInteger(call.csB) && Number.isInteger(call.rsC))) {
    throw new RangeError("gemm: strides must be integers");
  }
  checkOperand("A", es, memoryBytes, call.a, m, call.rsA, k, call.csA);
  checkOperand("B", es, memoryBytes, call.b, k, call.rsB, n, call.csB);
  checkOperand("C", es, memoryBytes, call.c, m, call.rsC, n, 1);
  if (call.symmetric && !(m === n && call.b === call.a && call.rsB === call.csA && call.csB === call.rsA)) {
    throw new RangeError(`gemm: a symmetric call needs B = A^T (m = n, same offset, swapped strides), got ${m}x${n}x${k}, a ${call.a} b ${call.b}`);
  }
  if (scratchBytes > 0 && !(scratch >= 0 && scratch + scratchBytes <= memoryBytes)) {
    throw new RangeError(`gemm: scratch [${scratch}, ${scratch + scratchBytes}) is outside the memory (${memoryBytes} bytes)`);
  }
}

/** Rejects Gram softmax calls whose operands leave the memory (a worker's trap would lose its message). */
function validateGram(call: GramSoftmaxCall, memoryBytes: number, scratch: number, scratchBytes: number): void {
  const { n, k, items } = call;
  if (!(isCount(n) && isCount(k) && isCount(items))) throw new RangeError(`gemm: gramSoftmax sizes must be non-negative integers, got ${items} items of ${n}x${k}`);
  if (!(Number.isInteger(call.rsA) && Number.isInteger(call.csA) && Number.isInteger(call.strideA) && Number.isInteger(call.strideBias))) {
    throw new RangeError("gemm: gramSoftmax strides must be integers");
  }
  const last = items - 1;
  for (const t of [0, last]) {
    checkOperand("A", 4, memoryBytes, call.a + t * call.strideA, n, call.rsA, k, call.csA);
    if (!call.biasFromDiagonal) checkOperand("bias", 4, memoryBytes, call.bias + t * call.strideBias, 1, 0, n, 1);
  }
  const v = call.value;
  if (v) {
    if (!(isCount(v.dv) && v.dv > 0 && Number.isInteger(v.rsB) && Number.isInteger(v.csB) && Number.isInteger(v.stride))) {
      throw new RangeError(`gemm: gramSoftmax value needs dv > 0 and integer strides, got dv ${v.dv}`);
    }
    for (const t of [0, last]) checkOperand("V", 4, memoryBytes, v.b + t * v.stride, n, v.rsB, v.dv, v.csB);
  }
  const cols = v ? v.dv : n;
  checkOperand("out", 4, memoryBytes, call.out, items * n, cols, cols, 1);
  if (!(scratch >= 0 && scratch + scratchBytes <= memoryBytes)) throw new RangeError(`gemm: scratch [${scratch}, ${scratch + scratchBytes}) is outside the memory (${memoryBytes} bytes)`);
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

function isCount(x: number): boolean {
  return Number.isInteger(x) && x >= 0;
}

function checkOperand(name: string, es: number, memoryBytes: number, offset: number, rows: number, rs: number, cols: number, cs: number): void {
  if (rows === 0 || cols === 0) return;
  if (!Number.isInteger(offset) || offset % es !== 0) throw new RangeError(`gemm: ${name} offset ${offset} is not a multiple of ${es}`);
  const lo = offset + (Math.min(0, (rows - 1) * rs) + Math.min(0, (cols - 1) * cs)) * es;
  const hi = offset + (Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs) + 1) * es;
  if (lo < 0 || hi > memoryBytes) throw new RangeError(`gemm: ${name} spans bytes [${lo}, ${hi}) outside the memory (${memoryBytes} bytes)`);
}
