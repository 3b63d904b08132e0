/**
 * When a product threads: the adaptive threshold (in multiply-adds) behind the GEMM's threaded products (threads.ts).
 *
 * Products below `min` never thread. A threaded product that lost time against the caller alone
 * ("a miss": a worker claimed a chunk and then had no core to finish it on) doubles the
 * threshold, up to `max`, so medium products stop paying for threads that do not run; one that
 * did not halves it again.
 *
 * A raised threshold lasts a backoff window, then drops back to `min`. The window starts at
 * `minBackoffMs` and doubles each time the first threaded product after a window misses again
 * (the cores are still taken), up to `maxBackoffMs`; a product that keeps up after a window
 * resets it. Why a window and not a fixed rate of probes: on a shared VM a core stalls for a
 * millisecond or two at random, and a raise that outlived the stall kept the small Yang forward's
 * products on one thread for most of a run (72 of 96 threaded rounds: 15.5 ms against 11 ms),
 * while another process that keeps a core busy still costs only one late product per window.
 */
export interface ThresholdLimits {
  readonly min: number;
  readonly max: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

export class ThreadingThreshold {
  private work: number;
  private backoffMs: number;
  private raisedUntil = -Infinity;
  /** The window just ended: the next threaded product tells whether the cores are back. */
  private probing = false;

  constructor(private readonly limits: ThresholdLimits) {
    if (!(limits.min > 0 && limits.max >= limits.min)) throw new RangeError(`threading threshold: need 0 < min <= max, got ${limits.min}, ${limits.max}`);
    if (!(limits.minBackoffMs > 0 && limits.maxBackoffMs >= limits.minBackoffMs)) {
      throw new RangeError(`threading threshold: need 0 < minBackoffMs <= maxBackoffMs, got ${limits.minBackoffMs}, ${limits.maxBackoffMs}`);
    }
    this.work = limits.min;
    this.backoffMs = limits.minBackoffMs;
  }

  /** The threshold now (multiply-adds). */
  current(now: number): number {
    if (this.work > this.limits.min && now >= this.raisedUntil) {
      this.work = this.limits.min;
      this.probing = true;
    }
    return this.work;
  }

  /** Whether a product of `work` multiply-adds threads at time `now` (ms). */
  shouldThread(work: number, now: number): boolean {
    return work >= this.current(now);
  }

  /** Records how a threaded product went: whether threading it lost time (threadingLost below). */
  record(lost: boolean, now: number): void {
    const { min, max, minBackoffMs, maxBackoffMs } = this.limits;
    if (lost) {
      if (this.probing) this.backoffMs = Math.min(maxBackoffMs, this.backoffMs * 2);
      this.work = Math.min(max, this.work * 2);
      this.raisedUntil = now + this.backoffMs;
    } else {
      if (this.probing) this.backoffMs = minBackoffMs;
      this.work = Math.max(min, this.work / 2);
    }
    this.probing = false;
  }

  /** The current window's length (ms), for tests and diagnostics. */
  get backoff(): number {
    return this.backoffMs;
  }
}

/**
 * Whether threading a call lost time against running it on the caller alone: the caller would
 * have run all `total` chunks at the pace it ran its `local` ones, so threading lost when the
 * wait for the workers' chunks exceeded the time the caller would have spent on them. Workers
 * that never showed up (a late wake-up: the caller ran every chunk) cost nothing and are no loss;
 * a worker that claimed a chunk and then lost its core (another process) is.
 */
export function threadingLost(elapsedMs: number, waitedMs: number, local: number, total: number): boolean {
  if (local === 0 || local >= total) return false;
  const worked = elapsedMs - waitedMs;
  return waitedMs > (worked * (total - local)) / local;
}
