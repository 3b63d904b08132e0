/**
 * Worker threads that share a round's chunks (a product's, a softmax's, an item round's) with
 * the main thread, over the same shared WebAssembly.Memory, synchronised with Atomics alone (no
 * messages, so a threaded product stays synchronous). The workers are Node's worker_threads or,
 * in a cross-origin isolated page, Web Workers (environment.ts); a page's main thread may not
 * block in Atomics.wait, so there the caller spins for the workers' last chunks.
 *
 * Protocol, on an Int32Array in a SharedArrayBuffer:
 *   CLAIM = generation << 16 | next chunk. Anyone claims a chunk with compareExchange(w, w + 1).
 *           The main thread first stores next = CLOSED (no claims possible), then writes the
 *           round's parameters, then publishes (generation + 1) << 16 | 0 and notifies. A claim
 *           that succeeds therefore saw that round's parameters, and a worker waking late for
 *           an old round cannot claim in a new one (its compareExchange fails).
 *   DONE  = chunks finished this round; the thread finishing the last one notifies.
 * Workers spin briefly before Atomics.wait so back-to-back calls find them awake. The spins are
 * short on purpose: on a loaded machine a spinning thread takes the core from the thread that
 * has the work (measured here with another process on one core: a 250 us spin plus an early
 * "pre-wake" notify made a 96^3 call 6x slower; 50 us spins and no pre-wake, 2x).
 *
 * The workers run `workerMain` (worker-main.ts) from its source text (worker-source.ts). Each
 * runner's layout words reach the workers in their start message, from the same layout objects
 * the planners write blocks with. Loop-kernel modules (Pool.share) are posted to every worker
 * before the count of shared modules goes up; a worker holding fewer claims nothing.
 */
import { KERNEL_DTYPES, SOFTMAX_EXPORTS, exportNames } from "../wasm/shared-module.js";
import { workerHost } from "./environment.js";
import { KERNEL_TABLE } from "./kernel-round.js";
import { type LayoutWords, ROUND_KIND, ROUND_WORDS, TOTAL_WORD } from "./layout.js";
import type { PoolWorkers } from "./pool-workers.js";
import { CONTROL, type WorkerData } from "./worker-main.js";
import type { WorkerProgram } from "./worker-source.js";

const { claim: CLAIM, done: DONE, quit: QUIT, failed: FAILED, hold: HOLD, shared: SHARED } = CONTROL;
const PARAMS_AT = 64; // byte offset of the round's Float64 parameters
const CLOSED = 0xffff;
/** Idle spin before sleeping, in ms: covers back-to-back calls without hogging a busy core. */
const SPIN_MS = 0.05;
/**
 * While held, an idle worker still sleeps after this long without work: a caller that holds
 * the workers and then stalls (or forgets to let go) wastes at most this much of a core.
 */
const HOLD_SPIN_MS = 20;
/** The caller's spin before sleeping on the last chunks, in ms. */
const JOIN_SPIN_MS = 0.05;

/** Whether this thread may block in Atomics.wait (a page's main thread may not). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a pool reports per worker to the garbage collector (Pool.gcWeight): about a worker's real cost. */
const GC_WEIGHT_PER_WORKER = 8 << 20;
/**
 * Pools made while fewer than this many are undisposed carry no weight: a program that disposes
 * its backends never pays for the collections the weight brings (measured: +60 ms a backend over
 * create, compile, run and dispose, on two loaded cores).
 */
const UNWEIGHTED_POOLS = 4;
/** Pools neither disposed nor collected: past UNWEIGHTED_POOLS, some are likely abandoned. */
let undisposedPools = 0;

/** What stopping a pool's threads takes; nothing here may lead back to the Pool itself. */
interface PoolThreads {
  readonly ctl: Int32Array;
  readonly workers: PoolWorkers;
}

/** Tells the workers to quit and ends them. */
function stopThreads({ ctl, workers }: PoolThreads): Promise<unknown> {
  Atomics.store(ctl, QUIT, 1);
  Atomics.store(ctl, CLAIM, CLOSED);
  Atomics.notify(ctl, CLAIM);
  return workers.terminate();
}

/**
 * Pools dropped without dispose() (a backend nobody disposed) stop their threads once collected:
 * a worker thread is a whole JavaScript engine (several MB) and keeps the shared memory alive,
 * so without this every abandoned backend would hold both until the process exits. The workers
 * and ports reach nothing of the pool (no listeners, no closures over it), so the pool can be
 * collected while they run.
 */
const abandoned = new FinalizationRegistry<PoolThreads>((threads) => {
  undisposedPools--;
  void stopThreads(threads).catch(() => undefined);
});

export class Pool {
  private readonly ctl: Int32Array;
  private readonly params: Float64Array;
  private generation = 0;
  private disposed = false;
  /** Whether the caller may sleep in Atomics.wait for the last chunks (else it spins). */
  private readonly blocking = canBlock();

  private sharedKernels = 0;
  /** How long the last round's caller waited for the workers' chunks after its own, in ms. */
  lastWaitMs = 0;
  /** Chunks of every round so far, and those of them the workers ran (not the caller). */
  chunks = 0;
  workerChunks = 0;

  private constructor(
    private readonly workers: PoolWorkers,
    control: SharedArrayBuffer,
    /**
     * Weight for the garbage collector, never read or written; none while few pools are
     * undisposed (UNWEIGHTED_POOLS). V8 sees neither a worker's memory (an engine of its own,
     * ~7 MB measured here) nor the shared memory, so by the JavaScript heap alone an abandoned
     * pool looks tiny and is collected (and its threads stopped, see `abandoned`) only much
     * later: 100 abandoned backends held 107 threads and +700 MB. A buffer's bytes count as
     * external memory in V8's heuristics, which then collect every few pools; allocated
     * uninitialized, its untouched pages cost no resident memory (a zeroed ArrayBuffer of the
     * same size took 5 ms and its size in resident memory to make).
     */
    readonly gcWeight: Uint8Array | undefined,
  ) {
    this.ctl = new Int32Array(control, 0, 16);
    this.params = new Float64Array(control, PARAMS_AT, ROUND_WORDS);
    Atomics.store(this.ctl, CLAIM, CLOSED);
    undisposedPools++;
    abandoned.register(this, { ctl: this.ctl, workers }, this);
  }

  /**
   * Starts `size` workers on `memory` (which must be shared) and waits until each is ready: Node's
   * worker_threads, or Web Workers in a cross-origin isolated page (environment.ts).
   */
  static async create(size: number, memory: WebAssembly.Memory, program: WorkerProgram): Promise<Pool> {
    const start = await workerHost();
    const control = new SharedArrayBuffer(PARAMS_AT + ROUND_WORDS * 8);
    new Int32Array(control)[CLAIM] = CLOSED;
    const layouts: Record<number, LayoutWords<string>> = {};
    for (const r of program.runners) layouts[r.kind] = r.layout.words;
    const dataOf = (thread: number): WorkerData => ({
      memory,
      module: program.module,
      control,
      thread,
      names: KERNEL_DTYPES.map(exportNames),
      spinMs: SPIN_MS,
      holdSpinMs: HOLD_SPIN_MS,
      controlWords: CONTROL,
      paramsAt: PARAMS_AT,
      roundWords: ROUND_WORDS,
      totalWord: TOTAL_WORD,
      layouts,
      kernelKind: ROUND_KIND.kernel,
      kernelTable: KERNEL_TABLE,
      softmaxNames: SOFTMAX_EXPORTS,
    });
    const workers = await start(size, dataOf, program);
    const weight = undisposedPools >= UNWEIGHTED_POOLS ? workers.weight(GC_WEIGHT_PER_WORKER * workers.size) : undefined;
    return new Pool(workers, control, weight);
  }

  get size(): number {
    return this.workers.size;
  }

  /**
   * Makes a loop kernel module (exporting `kernel(...bases)`, importing env.memory) callable in
   * kernel rounds (kernelRound) on every worker; returns its id. Each worker takes it before it
   * claims another chunk, and instantiates it on the shared memory.
   */
  share(module: WebAssembly.Module): number {
    if (this.disposed) throw new Error("cpu threads: the worker pool was disposed");
    const id = this.sharedKernels++;
    this.workers.post({ id, module });
    // Only now: a worker that sees the new count finds the module delivered (or on its way).
    Atomics.store(this.ctl, SHARED, this.sharedKernels);
    return id;
  }

  /**
   * Holds the workers awake (spinning between rounds) until released, and wakes any that sleep
   * now. A program's run holds them from its first step to its last: between two threaded
   * products it runs single-threaded loops that outlast the short idle spin, and a worker woken
   * from sleep (~100 us) would miss most of a 0.2 ms product. Holds nest.
   */
  hold(): void {
    if (this.disposed) return;
    if (Atomics.add(this.ctl, HOLD, 1) === 0) Atomics.notify(this.ctl, CLAIM);
  }

  /** Ends one hold(); with none left, idle workers go back to sleeping after their short spin. */
  release(): void {
    if (this.disposed) return;
    if (Atomics.sub(this.ctl, HOLD, 1) <= 0) Atomics.store(this.ctl, HOLD, 0);
  }

  /**
   * Publishes a round and works on it from the calling thread (thread index 0) until every
   * chunk is done. `work(chunk)` computes one chunk on this thread. Returns how many chunks
   * the calling thread did, which tells whether the workers got a core in time.
   */
  run(params: Float64Array, work: (chunk: number) => void): number {
    if (this.disposed) throw new Error("cpu threads: the worker pool was disposed");
    const ctl = this.ctl;
    const total = params[TOTAL_WORD]!;
    Atomics.store(ctl, CLAIM, (this.generation << 16) | CLOSED);
    this.params.set(params);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    this.generation = (this.generation + 1) & 0x7fff;
    Atomics.store(ctl, CLAIM, this.generation << 16);
    Atomics.notify(ctl, CLAIM);
    let error: unknown;
    let local = 0;
    for (;;) {
      const w = Atomics.load(ctl, CLAIM);
      const next = w & 0xffff;
      if (next >= total) break;
      if (Atomics.compareExchange(ctl, CLAIM, w, w + 1) !== w) continue;
      local++;
      try {
        work(next);
      } catch (e) {
        // Stop further claims; the chunks already claimed still finish before we return.
        error = e;
        const claimed = (Atomics.exchange(ctl, CLAIM, (this.generation << 16) | CLOSED) & 0xffff) | 0;
        Atomics.add(ctl, DONE, total - Math.min(claimed, total));
      }
      Atomics.add(ctl, DONE, 1);
    }
    const waitFrom = performance.now();
    this.join(total);
    this.lastWaitMs = performance.now() - waitFrom;
    this.chunks += total;
    if (error === undefined) this.workerChunks += total - local;
    if (error !== undefined) throw error;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error("cpu threads: a worker failed (operand outside the memory?)");
    return local;
  }

  /**
   * Waits until every chunk is done: spin briefly (it is usually one chunk away), then sleep;
   * where this thread may not sleep (a page's main thread), spin until the end.
   */
  private join(total: number): void {
    const ctl = this.ctl;
    const spinUntil = performance.now() + JOIN_SPIN_MS;
    while (performance.now() < spinUntil || !this.blocking) if (Atomics.load(ctl, DONE) >= total) return;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= total) return;
      Atomics.wait(ctl, DONE, done);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (abandoned.unregister(this)) undisposedPools--;
    await stopThreads({ ctl: this.ctl, workers: this.workers });
  }
}
