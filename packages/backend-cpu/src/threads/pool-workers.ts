/**
 * The pool's workers as the pool sees them, whichever host started them: Node's worker_threads
 * (node-workers.ts) or a page's Web Workers (web-workers.ts).
 */
import type { SharedKernelMessage, WorkerData } from "./worker-main.js";
import type { WorkerProgram } from "./worker-source.js";

export interface PoolWorkers {
  readonly size: number;
  /** Posts a loop-kernel module to every worker; each takes it before its next claim. */
  post(message: SharedKernelMessage): void;
  /** Ends every worker and closes what carries messages to them. Reaches nothing of the pool. */
  terminate(): Promise<unknown>;
  /**
   * A buffer of `bytes` that the garbage collector counts and that costs no resident memory
   * (Pool.gcWeight), or undefined where the host has no such buffer.
   */
  weight(bytes: number): Uint8Array | undefined;
}

/** Starts `size` workers, worker `i` from `dataOf(i + 1)`, and resolves once each is ready. */
export type StartWorkers = (size: number, dataOf: (thread: number) => WorkerData, program: WorkerProgram) => Promise<PoolWorkers>;
