import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;

/**
 * Runs a full garbage collection, so a measurement starts from live memory only. Node exposes
 * gc() only with --expose-gc; setting the flag at run time and fetching gc from a fresh context
 * gives the same function without asking the user for a flag. False where that is refused.
 */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const fn: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
      gc = typeof fn === "function" ? (fn as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
  return gc !== null;
}

/**
 * What the JavaScript side holds: V8's heap plus memory outside it that V8 accounts for
 * (ArrayBuffers, typed arrays' stores, non-shared WebAssembly memories such as TensorFlow.js's
 * wasm heap). Shared WebAssembly memories are not counted by V8: engines that use one report it
 * themselves (PreparedRun.poolBytes).
 */
export function heapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Samples heapBytes every `intervalMs` while running, and whenever asked, keeping the largest. */
export class PeakSampler {
  private readonly baseline: number;
  private peak: number;
  private readonly timer: ReturnType<typeof setInterval>;

  /** Collects garbage first, so the baseline is what was live before. */
  constructor(intervalMs = 2) {
    collectGarbage();
    this.baseline = heapBytes();
    this.peak = this.baseline;
    this.timer = setInterval(() => this.sample(), intervalMs);
    // A sampler must never keep the process alive.
    this.timer.unref();
  }

  sample(): void {
    this.peak = Math.max(this.peak, heapBytes());
  }

  /** Stops sampling; the largest growth over the baseline, in bytes (0 if memory only shrank). */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return Math.max(0, this.peak - this.baseline);
  }
}
