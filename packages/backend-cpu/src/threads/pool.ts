/**
 * Worker threads that share a round's chunks (a product's, a softmax's, an item round's) with
 * the main thread, over the same shared WebAssembly.Memory, synchronised with Atomics alone (no
 * messages, so a threaded product stays synchronous; Atomics.wait is allowed on Node's main
 * thread).
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
 * The worker source is generated from `workerMain`, the runners of every kind of work
 * (runner.ts) and the single-thread products via Function.prototype.toString, so it runs
 * unchanged from TypeScript sources (vitest) and dist. Each runner's layout words reach the
 * workers in their start message, from the same layout objects the planners write blocks with.
 */
import type { MessagePort, Worker as NodeWorker } from "node:worker_threads";
import type { GemmKernels, PlainProduct, wasmGemm } from "../wasm/gemm-driver.js";
import { exportNames, KERNEL_DTYPES, SOFTMAX_EXPORTS } from "../wasm/shared-module.js";
import { type LayoutWords, ROUND_KIND, ROUND_WORDS, TOTAL_WORD } from "./layout.js";
import { kernelChunk, KERNEL_TABLE } from "./kernel-round.js";
import type { RegisteredRunner, RoundRunner, RunnerContext } from "./runner.js";

/** What the workers run: the shared kernel module, the runners by kind, the single-thread products. */
export interface WorkerProgram {
  readonly module: WebAssembly.Module | undefined;
  readonly runners: readonly RoundRunner[];
  readonly single: typeof wasmGemm;
  readonly plain: PlainProduct;
}

const CLAIM = 0;
const DONE = 1;
const QUIT = 2;
const FAILED = 3;
/** Non-zero while a caller holds the workers awake (Pool.hold): idle workers spin, not sleep. */
const HOLD = 4;
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

interface WorkerData {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module | undefined;
  control: SharedArrayBuffer;
  thread: number;
  names: { macro: string; packA: string; packB: string; mirror: string }[];
  /** Export names of the softmax kernels by their GemmKernels name, attached to the float32 kernels. */
  softmaxNames: Record<string, string>;
  spinMs: number;
  holdSpinMs: number;
  /** Where the caller posts loop-kernel modules ({ id, module }) for kernel rounds (Pool.share). */
  kernels: MessagePort;
  /** Float64 words of a round's parameters, and the chunk count's index (the worker cannot import them). */
  roundWords: number;
  totalWord: number;
  /** Each runner's layout words, by kind: the very objects the planners write blocks through. */
  layouts: Record<number, LayoutWords<string>>;
  /** A kernel round's kind, and the first word of its access table (kernel-round.ts). */
  kernelKind: number;
  kernelTable: number;
}

/** The worker's body. Self-contained: it runs from its toString() inside the worker. */
function workerMain(
  data: WorkerData,
  port: { postMessage(v: unknown): void },
  runs: Record<number, RegisteredRunner["run"]>,
  single: typeof wasmGemm,
  plain: PlainProduct,
  chunkOf: typeof kernelChunk,
  receive: (port: MessagePort) => { message: { id: number; module: WebAssembly.Module } } | undefined,
): void {
  const ctl = new Int32Array(data.control, 0, 16);
  const p = new Float64Array(data.control, 64, data.roundWords);
  const kernels: GemmKernels[] = [];
  if (data.module) {
    const e = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports as Record<string, never>;
    for (const n of data.names) kernels.push({ macro: e[n.macro], packA: e[n.packA], packB: e[n.packB], mirror: e[n.mirror] });
    for (const [key, name] of Object.entries(data.softmaxNames)) (kernels[0] as unknown as Record<string, unknown>)[key] = e[name];
  }
  // Shared loop kernels by id, instantiated on first use: the caller posts a module before it
  // publishes any round that names it, so it is already queued on the port by then.
  const shared = new Map<number, (...bases: number[]) => void>();
  const kernelWords = data.layouts[data.kernelKind] as Parameters<typeof kernelChunk>[2];
  const loop = (q: Float64Array, chunk: number): void => {
    const bases: number[] = [];
    const id = chunkOf(q, chunk, kernelWords, data.kernelTable, bases);
    let fn = shared.get(id);
    while (!fn) {
      const got = receive(data.kernels);
      if (!got) throw new Error(`loop kernel ${id} was never shared`);
      shared.set(got.message.id, new WebAssembly.Instance(got.message.module, { env: { memory: data.memory } }).exports["kernel"] as never);
      fn = shared.get(id);
    }
    fn(...bases);
  };
  const runners: Record<number, RegisteredRunner> = {};
  for (const [kind, run] of Object.entries(runs)) runners[Number(kind)] = { run, words: data.layouts[Number(kind)]! };
  const context: RunnerContext = { memory: data.memory, kernels, single, plain, runners, loop };
  port.postMessage("ready");
  let idleSince = -1;
  for (;;) {
    const w = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 2) !== 0) return;
    const total = p[data.totalWord]!;
    if ((w & 0xffff) < total) {
      if (Atomics.compareExchange(ctl, 0, w, w + 1) === w) {
        try {
          const entry = runners[p[0]!]!;
          entry.run(p, w & 0xffff, data.thread, context, entry.words);
        } catch {
          Atomics.store(ctl, 3, 1);
        }
        if (Atomics.add(ctl, 1, 1) + 1 === total) Atomics.notify(ctl, 1);
        idleSince = -1;
      }
      continue;
    }
    const now = performance.now();
    if (idleSince < 0) idleSince = now;
    if (now - idleSince < (Atomics.load(ctl, 4) !== 0 ? data.holdSpinMs : data.spinMs)) continue;
    Atomics.wait(ctl, 0, w);
    idleSince = -1;
  }
}

function workerSource(program: WorkerProgram): string {
  return [
    '"use strict";',
    'const { workerData, parentPort, receiveMessageOnPort } = require("node:worker_threads");',
    // Some transpilers wrap functions in __name() to keep their names; make that harmless.
    "const __name = (f) => f;",
    `const plainGemm = (${program.plain.toString()});`,
    `const wasmGemm = (${program.single.toString()});`,
    `const kernelChunk = (${kernelChunk.toString()});`,
    `const runners = {`,
    ...program.runners.map((r) => `  ${r.kind}: (${r.run.toString()}),`),
    "};",
    `const workerMain = (${workerMain.toString()});`,
    "workerMain(workerData, parentPort, runners, wasmGemm, plainGemm, kernelChunk, receiveMessageOnPort);",
  ].join("\n");
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
  readonly workers: readonly NodeWorker[];
  readonly ports: readonly MessagePort[];
}

/** Tells the workers to quit, ends them and closes their ports. */
function stopThreads({ ctl, workers, ports }: PoolThreads): Promise<unknown> {
  Atomics.store(ctl, QUIT, 1);
  Atomics.store(ctl, CLAIM, CLOSED);
  Atomics.notify(ctl, CLAIM);
  for (const port of ports) port.close();
  return Promise.all(workers.map((w) => w.terminate()));
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

  private sharedKernels = 0;
  /** How long the last round's caller waited for the workers' chunks after its own, in ms. */
  lastWaitMs = 0;

  private constructor(
    private readonly workers: NodeWorker[],
    control: SharedArrayBuffer,
    private readonly kernelPorts: MessagePort[],
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
    abandoned.register(this, { ctl: this.ctl, workers, ports: kernelPorts }, this);
  }

  /** Starts `size` workers on `memory` (which must be shared) and waits until each is ready. */
  static async create(size: number, memory: WebAssembly.Memory, program: WorkerProgram): Promise<Pool> {
    const { MessageChannel, Worker } = await import("node:worker_threads");
    const control = new SharedArrayBuffer(PARAMS_AT + ROUND_WORDS * 8);
    new Int32Array(control)[CLAIM] = CLOSED;
    const source = workerSource(program);
    const layouts: Record<number, LayoutWords<string>> = {};
    for (const r of program.runners) layouts[r.kind] = r.layout.words;
    const workers: NodeWorker[] = [];
    const kernelPorts: MessagePort[] = [];
    try {
      for (let i = 0; i < size; i++) {
        const channel = new MessageChannel();
        kernelPorts.push(channel.port1);
        const workerData: WorkerData = {
          memory,
          module: program.module,
          control,
          thread: i + 1,
          names: KERNEL_DTYPES.map(exportNames),
          spinMs: SPIN_MS,
          holdSpinMs: HOLD_SPIN_MS,
          kernels: channel.port2,
          roundWords: ROUND_WORDS,
          totalWord: TOTAL_WORD,
          layouts,
          kernelKind: ROUND_KIND.kernel,
          kernelTable: KERNEL_TABLE,
          softmaxNames: SOFTMAX_EXPORTS,
        };
        workers.push(new Worker(source, { eval: true, workerData, transferList: [channel.port2] }));
      }
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once("message", () => resolve());
              w.once("error", reject);
              w.once("exit", (code) => reject(new Error(`cpu worker thread exited early (code ${code})`)));
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      for (const port of kernelPorts) port.close();
      throw error;
    }
    // Idle workers hold no handles of their own; unref so an undisposed pool never keeps
    // the process alive.
    for (const w of workers) {
      w.removeAllListeners();
      w.on("error", () => undefined);
      w.unref();
    }
    // The ports only carry modules to workers that poll them; they must not keep Node alive.
    for (const port of kernelPorts) port.unref();
    const { Buffer } = await import("node:buffer");
    const weight = undisposedPools >= UNWEIGHTED_POOLS ? Buffer.allocUnsafeSlow(GC_WEIGHT_PER_WORKER * workers.length) : undefined;
    return new Pool(workers, control, kernelPorts, weight);
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Makes a loop kernel module (exporting `kernel(...bases)`, importing env.memory) callable in
   * kernel rounds (kernelRound) on every worker; returns its id. Each worker instantiates it on
   * the shared memory the first time a round names it.
   */
  share(module: WebAssembly.Module): number {
    if (this.disposed) throw new Error("cpu threads: the worker pool was disposed");
    const id = this.sharedKernels++;
    for (const port of this.kernelPorts) port.postMessage({ id, module });
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
    if (error !== undefined) throw error;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error("cpu threads: a worker failed (operand outside the memory?)");
    return local;
  }

  /** Waits until every chunk is done: spin briefly (it is usually one chunk away), then sleep. */
  private join(total: number): void {
    const ctl = this.ctl;
    const spinUntil = performance.now() + JOIN_SPIN_MS;
    while (performance.now() < spinUntil) if (Atomics.load(ctl, DONE) >= total) return;
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
    await stopThreads({ ctl: this.ctl, workers: this.workers, ports: this.kernelPorts });
  }
}
