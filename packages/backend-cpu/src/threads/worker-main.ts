/**
 * What a worker thread of the pool runs (pool.ts has the protocol), on Node's worker_threads and
 * on a page's Web Workers alike: `workerMain` runs from its source text inside the worker, so it
 * is self-contained, and the words of the control array it uses are passed in, not imported.
 */
import type { GemmKernels, PlainProduct, wasmGemm } from "../wasm/gemm-driver.js";
import type { LayoutWords } from "./layout.js";
import type { kernelChunk } from "./kernel-round.js";
import type { RegisteredRunner, RunnerContext } from "./runner.js";

/** Indices of the control array (an Int32Array over the pool's SharedArrayBuffer). */
export const CONTROL = {
  /** generation << 16 | next chunk: what a thread claims a chunk with (pool.ts). */
  claim: 0,
  /** Chunks finished this round; the thread finishing the last one notifies. */
  done: 1,
  /** Non-zero: the workers return. */
  quit: 2,
  /** Non-zero: a worker's chunk threw this round. */
  failed: 3,
  /** Non-zero while a caller holds the workers awake (Pool.hold): idle workers spin, not sleep. */
  hold: 4,
  /**
   * Loop-kernel modules shared so far (Pool.share). Stored after the module is posted to every
   * worker and before any round names it, so a worker that has received fewer never claims.
   */
  shared: 5,
} as const;

/** A loop-kernel module on its way to a worker (Pool.share). */
export interface SharedKernelMessage {
  readonly id: number;
  readonly module: WebAssembly.Module;
}

/** What a worker starts from: the same on either host, sent in its start message. */
export interface WorkerData {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module | undefined;
  control: SharedArrayBuffer;
  thread: number;
  names: { macro: string; packA: string; packB: string; mirror: string }[];
  /** Export names of the softmax kernels by their GemmKernels name, attached to the float32 kernels. */
  softmaxNames: Record<string, string>;
  spinMs: number;
  holdSpinMs: number;
  /** The control array's words (CONTROL) and where a round's Float64 parameters start, in bytes. */
  controlWords: typeof CONTROL;
  paramsAt: number;
  /** Float64 words of a round's parameters, and the chunk count's index (the worker cannot import them). */
  roundWords: number;
  totalWord: number;
  /** Each runner's layout words, by kind: the very objects the planners write blocks through. */
  layouts: Record<number, LayoutWords<string>>;
  /** A kernel round's kind, and the first word of its access table (kernel-round.ts). */
  kernelKind: number;
  kernelTable: number;
}

/** How a worker gets the loop-kernel modules posted to it (Pool.share). */
export interface KernelInbox {
  /** The next module already delivered to this thread, or undefined when none is. */
  receive(): SharedKernelMessage | undefined;
  /**
   * Where the host cannot receive while the loop runs (a Web Worker: messages arrive only
   * between tasks), calls `resume` once another module was delivered; the loop returns meanwhile.
   * Absent on Node, where `receive` takes a module straight off the port.
   */
  waitForDelivery?: (resume: () => void) => void;
}

/**
 * The worker's body. Self-contained: it runs from its toString() inside the worker. Returns when
 * the pool quits, or (a Web Worker) to let a shared module be delivered; `inbox.waitForDelivery`
 * then resumes it.
 */
export function workerMain(
  data: WorkerData,
  ready: () => void,
  runs: Record<number, RegisteredRunner["run"]>,
  single: typeof wasmGemm,
  plain: PlainProduct,
  chunkOf: typeof kernelChunk,
  inbox: KernelInbox,
): void {
  const C = data.controlWords;
  const ctl = new Int32Array(data.control, 0, 16);
  const p = new Float64Array(data.control, data.paramsAt, data.roundWords);
  const kernels: GemmKernels[] = [];
  if (data.module) {
    const e = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports as Record<string, never>;
    for (const n of data.names) kernels.push({ macro: e[n.macro], packA: e[n.packA], packB: e[n.packB], mirror: e[n.mirror] });
    for (const [key, name] of Object.entries(data.softmaxNames)) (kernels[0] as unknown as Record<string, unknown>)[key] = e[name];
  }
  // Shared loop kernels by id. A worker claims nothing while it holds fewer than the pool has
  // shared (CONTROL.shared), so every id a round names is here by the time it runs a chunk.
  const shared = new Map<number, (...bases: number[]) => void>();
  const take = (): boolean => {
    const got = inbox.receive();
    if (!got) return false;
    shared.set(got.id, new WebAssembly.Instance(got.module, { env: { memory: data.memory } }).exports["kernel"] as never);
    return true;
  };
  const kernelWords = data.layouts[data.kernelKind] as Parameters<typeof kernelChunk>[2];
  const loop = (q: Float64Array, chunk: number): void => {
    const bases: number[] = [];
    const id = chunkOf(q, chunk, kernelWords, data.kernelTable, bases);
    const fn = shared.get(id);
    if (!fn) throw new Error(`loop kernel ${id} was never shared`);
    fn(...bases);
  };
  const runners: Record<number, RegisteredRunner> = {};
  for (const [kind, run] of Object.entries(runs)) runners[Number(kind)] = { run, words: data.layouts[Number(kind)]! };
  const context: RunnerContext = { memory: data.memory, kernels, single, plain, runners, loop };
  const run = (): void => {
    let idleSince = -1;
    for (;;) {
      const w = Atomics.load(ctl, C.claim);
      if (Atomics.load(ctl, C.quit) !== 0) return;
      const total = p[data.totalWord]!;
      if ((w & 0xffff) < total) {
        // Read after the claim word: a round published after a share() sees its count.
        if (shared.size < Atomics.load(ctl, C.shared)) {
          if (take()) continue;
          if (inbox.waitForDelivery) {
            // The caller and the other workers take this round's chunks meanwhile.
            inbox.waitForDelivery(run);
            return;
          }
          continue;
        }
        if (Atomics.compareExchange(ctl, C.claim, w, w + 1) === w) {
          try {
            const entry = runners[p[0]!]!;
            entry.run(p, w & 0xffff, data.thread, context, entry.words);
          } catch {
            Atomics.store(ctl, C.failed, 1);
          }
          if (Atomics.add(ctl, C.done, 1) + 1 === total) Atomics.notify(ctl, C.done);
          idleSince = -1;
        }
        continue;
      }
      const now = performance.now();
      if (idleSince < 0) idleSince = now;
      if (now - idleSince < (Atomics.load(ctl, C.hold) !== 0 ? data.holdSpinMs : data.spinMs)) continue;
      Atomics.wait(ctl, C.claim, w);
      idleSince = -1;
    }
  };
  ready();
  run();
}
