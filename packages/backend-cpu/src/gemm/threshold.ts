/**
 * When a product threads: the adaptive threshold (in multiply-adds) behind `Gemm.run`.
 *
 * Products below `min` never thread. A threaded product whose workers did under half their fair
 * share ("a miss": the workers did not get a core in time) doubles the threshold, up to `max`,
 * so medium products stop paying for threads that do not run; one whose workers kept up halves
 * it again.
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

  /** Records how a threaded product went: `workerShare` of its chunks done by workers, `fair` their fair share. */
  record(workerShare: number, fair: number, now: number): void {
    const { min, max, minBackoffMs, maxBackoffMs } = this.limits;
    if (workerShare < fair / 2) {
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
