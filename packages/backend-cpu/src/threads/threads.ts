/**
 * The CPU backend's threads: the worker pool (pool.ts) and what every kind of work shares about
 * it — rounds of typed blocks (layout.ts, runner.ts), item rounds, loop kernels shared with the
 * workers (kernel rounds), holding the workers awake through a run, and the adaptive threshold
 * that decides whether a product is worth threading (threshold.ts). The GEMM, softmax, Gram
 * softmax and loop kernels use it; the backend owns it (engine.ts makes it).
 */
import type { GemmKernels, PlainProduct, wasmGemm } from "../wasm/gemm-driver.js";
import { ITEM_RUNNER, planItemRound } from "./item-round.js";
import { KERNEL_RUNNER, runKernelBlock } from "./kernel-round.js";
import { ROUND_WORDS, TOTAL_WORD } from "./layout.js";
import { Pool } from "./pool.js";
import { dispatchChunk, registerRunners, type RoundRunner, type RunnerContext } from "./runner.js";
import { threadingLost, ThreadingThreshold } from "./threshold.js";

/**
 * Calls with fewer multiply-adds than this stay on the calling thread. Measured here: a
 * back-to-back threaded call costs ~10 us of synchronisation, a worker woken from sleep ~100 us;
 * a 96^3 float32 product takes ~50 us on one core. Dynamic chunking hides most of a late wake-up
 * (the caller just takes more chunks), but the threshold also decides whether a whole run keeps
 * the workers spinning (Threads.hold), and a spinning worker takes a core from the caller. At 96^3
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
export const SOFTMAX_SPLIT_MIN_ELEMENTS = 1 << 16;

/** What the threads are made of. */
export interface ThreadsOptions {
  readonly memory: WebAssembly.Memory;
  /** Threads including the caller's; workers only where the memory is shared and this is above 1. */
  readonly threads: number;
  /** The shared kernel module (none without SIMD) and its instance's kernel tables on this thread. */
  readonly module: WebAssembly.Module | undefined;
  readonly kernels: readonly GemmKernels[];
  /** The kernel families' runners; the item and kernel rounds' are added here. */
  readonly runners: readonly RoundRunner[];
  readonly single: typeof wasmGemm;
  readonly plain: PlainProduct;
  /** A fixed threading threshold in multiply-adds (0 threads everything); adaptive when absent. */
  readonly parallelThreshold?: number;
}

/** The worker threads of one backend and the rounds they run; one per CpuBackend (engine.ts). */
export class Threads {
  /** Threads a large call runs on, the caller's included (1 without workers). */
  readonly count: number;
  /** What the runners use on the calling thread (thread 0). */
  readonly context: RunnerContext;
  /** Products of fewer multiply-adds never thread, whatever the adaptive threshold says. */
  readonly minSplitWork: number;
  /** The adaptive threading threshold; undefined where the caller fixed one (minSplitWork). */
  private readonly threshold: ThreadingThreshold | undefined;
  private disposed = false;

  private constructor(
    private pool: Pool | undefined,
    context: RunnerContext,
    simd: boolean,
    parallelThreshold: number | undefined,
  ) {
    this.count = 1 + (pool?.size ?? 0);
    this.context = context;
    // The plain path is ~10x slower per multiply-add, so threading pays off at ~1/8 the work.
    this.minSplitWork = parallelThreshold ?? (simd ? SPLIT_MIN_WORK : SPLIT_MIN_WORK / 8);
    this.threshold =
      parallelThreshold === undefined
        ? new ThreadingThreshold({ min: this.minSplitWork, max: Math.max(this.minSplitWork, SPLIT_MAX_WORK), minBackoffMs: BACKOFF_MIN_MS, maxBackoffMs: BACKOFF_MAX_MS })
        : undefined;
  }

  /** Starts the workers (where the memory is shared and more than one thread is asked for). */
  static async create(options: ThreadsOptions): Promise<Threads> {
    const runners = [...options.runners, KERNEL_RUNNER, ITEM_RUNNER];
    const shared = typeof SharedArrayBuffer !== "undefined" && options.memory.buffer instanceof SharedArrayBuffer;
    const program = { module: options.module, runners, single: options.single, plain: options.plain };
    const pool = options.threads > 1 && shared ? await Pool.create(options.threads - 1, options.memory, program) : undefined;
    const context: RunnerContext = { memory: options.memory, kernels: options.kernels, single: options.single, plain: options.plain, runners: registerRunners(runners) };
    return new Threads(pool, context, options.module !== undefined, options.parallelThreshold);
  }

  /** Whether there are worker threads at all. */
  get pooled(): boolean {
    return this.pool !== undefined;
  }

  /** Chunks of every threaded round so far, and how many of them the worker threads ran. */
  get chunkCounts(): { readonly chunks: number; readonly onWorkers: number } {
    return { chunks: this.pool?.chunks ?? 0, onWorkers: this.pool?.workerChunks ?? 0 };
  }

  /** Products (a batch's in total) below this many multiply-adds never use the workers (Infinity without any). */
  get minThreadedWork(): number {
    return this.pool ? this.minSplitWork : Infinity;
  }

  /** Whether a product of `work` multiply-adds threads now: at or above the (adaptive) threshold. */
  shouldThread(work: number): boolean {
    if (work < this.minSplitWork) return false;
    return !this.threshold || this.threshold.shouldThread(work, performance.now());
  }

  /**
   * Runs the rounds of one threaded product (each after `before(round)`, the caller's packing)
   * and lets the adaptive threshold learn whether the workers kept up.
   */
  runProduct(rounds: readonly { readonly params: Float64Array; readonly total: number }[], before: (params: Float64Array) => void): void {
    const start = performance.now();
    let local = 0;
    let total = 0;
    let waited = 0;
    for (const round of rounds) {
      before(round.params);
      local += this.run(round.params);
      total += round.total;
      waited += this.pool!.lastWaitMs;
    }
    this.threshold?.record(threadingLost(performance.now() - start, waited, local, total), performance.now());
  }

  /**
   * Publishes a round to the workers and works on it from the calling thread, by its kind's
   * runner unless `work` is given; returns how many chunks the calling thread ran.
   */
  run(params: Float64Array, work?: (chunk: number) => void): number {
    if (this.disposed) throw new Error("cpu threads: run after dispose");
    if (!this.pool) throw new Error("cpu threads: a round needs worker threads");
    const context = this.context;
    return this.pool.run(params, work ?? ((chunk) => dispatchChunk(params, chunk, 0, context)));
  }

  /** Runs every chunk of a round on the calling thread, one after another. */
  runHere(params: Float64Array, context: RunnerContext = this.context): void {
    const total = params[TOTAL_WORD]!;
    for (let t = 0; t < total; t++) dispatchChunk(params, t, 0, context);
  }

  /**
   * Keeps the worker threads awake until the matching release(), for a burst of calls (a
   * program's run): idle workers spin between calls instead of sleeping. No-ops without workers.
   */
  hold(): void {
    this.pool?.hold();
  }

  /** Ends one hold(). */
  release(): void {
    this.pool?.release();
  }

  /**
   * Makes a loop kernel module (exporting `kernel(...bases)` over env.memory) callable on the
   * worker threads, for kernel rounds; returns its id, or undefined without workers.
   */
  shareKernel(module: WebAssembly.Module): number | undefined {
    return this.pool?.share(module);
  }

  /** Runs a kernel round (kernel-round.ts); the calling thread runs its chunks with `work(chunk)`. */
  runKernelRound(params: Float64Array, work: (chunk: number) => void): number {
    return this.run(params, work);
  }

  /**
   * Runs an item round (item-round.ts): every thread takes items one at a time through all
   * `count` blocks of its own copy at `blocks + thread * perThread` (bytes). Loop kernel blocks
   * run on the calling thread with the kernel `kernelOf` gives for their id.
   */
  runItems(blocks: number, count: number, perThread: number, items: number, kernelOf: (id: number) => (...bases: number[]) => void): void {
    if (this.disposed) throw new Error("cpu threads: run after dispose");
    const end = blocks + (this.count - 1) * perThread + count * ROUND_WORDS * 8;
    const bytes = this.context.memory.buffer.byteLength;
    if (!(Number.isInteger(blocks) && blocks >= 0 && blocks % 8 === 0 && end <= bytes)) {
      throw new RangeError(`cpu threads: item blocks [${blocks}, ${end}) are outside the memory (${bytes} bytes) or misaligned`);
    }
    const params = planItemRound(blocks, count, perThread, items);
    const context: RunnerContext = { ...this.context, loop: (block, chunk) => runKernelBlock(block, chunk, kernelOf) };
    if (this.pool) this.pool.run(params, (chunk) => dispatchChunk(params, chunk, 0, context));
    else this.runHere(params, context);
  }

  /** Stops the workers; the threads cannot run anything afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.dispose();
  }
}
