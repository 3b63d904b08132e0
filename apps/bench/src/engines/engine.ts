import type { Outputs, Problem } from "../workloads/problem.js";

/**
 * Something that runs workloads: an Unfold backend (through the adapter) or a peer library
 * written independently against its own API. The runner calls, per workload and size:
 * prepare, then check (the first step, from the problem's inputs, every output read back for
 * the relative error), then step for the warm-up and for each timed repetition, then dispose.
 * Compilation, session creation and uploads belong to prepare and are not timed.
 */
export interface Engine {
  readonly name: string;
  /** Another library computing the same math: the ratio column compares against these. */
  readonly peer: boolean;
  /**
   * A slow engine's limits: at most this many repetitions and warm-up runs, and with `timeCheck`
   * the check run is timed as the first repetition, so an engine too slow to run twice runs once.
   */
  readonly cap?: { readonly repeats?: number; readonly warmup?: number; readonly timeCheck?: boolean };
  /** A line for the report: threads, dtype, what the engine is. */
  readonly describe?: () => string;
  /** Loads the engine once; throws EngineUnavailable when it cannot run in this process. */
  init?(): Promise<void>;
  /** Readies one workload; throws WorkloadUnsupported when the engine cannot express it. */
  prepare(problem: Problem): Promise<PreparedRun>;
  dispose?(): Promise<void>;
}

export interface PreparedRun {
  /** The first step, from the problem's inputs, with every output read back as float64. */
  check(): Promise<Outputs>;
  /** One more step: what is timed. It reads back what a user of the result would read. */
  step(): Promise<void>;
  /**
   * What the engine's own accounting says this workload added at most, read after the check
   * run: the CPU backend's shared WebAssembly memory in use, a WebGPU pool's buffers on loan,
   * TensorFlow.js's tensor bytes. It may overlap the heap figure (TensorFlow.js's cpu tensors are
   * ArrayBuffers). Absent for engines with no such count.
   */
  poolBytes?(): number;
  dispose(): Promise<void>;
}

/** The engine cannot run here at all (a missing package, a runtime that will not start). */
export class EngineUnavailable extends Error {
  override readonly name = "EngineUnavailable";
}

/** The engine runs, but cannot express this workload. */
export class WorkloadUnsupported extends Error {
  override readonly name = "WorkloadUnsupported";
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
