/**
 * Steps per second, smoothed over roughly the last `tauSeconds`: the ratio of exponentially
 * time-weighted sums of steps and of seconds. A constant rate comes out exactly; a change
 * (a slower evaluation phase, a warmed-up GPU) moves the estimate within a few tau, so an ETA
 * follows the run without jumping at every noisy step.
 */
export class SmoothedRate {
  private last: { step: number; ms: number } | undefined;
  private steps = 0;
  private seconds = 0;

  constructor(private readonly tauSeconds = 20) {}

  observe(step: number, ms: number): void {
    const last = this.last;
    // The first observation is only a reference point: the interval before it holds start-up
    // work (compilation, data loading) that says nothing about the steps to come.
    if (!last) {
      this.last = { step, ms };
      return;
    }
    const dt = (ms - last.ms) / 1000;
    // Several steps within one clock tick: wait for the clock, keeping the reference.
    if (dt <= 0) return;
    const ds = step - last.step;
    if (ds < 0) {
      // The step went backwards (a restart): measure afresh.
      this.steps = 0;
      this.seconds = 0;
    } else {
      const decay = Math.exp(-dt / this.tauSeconds);
      this.steps = this.steps * decay + ds;
      this.seconds = this.seconds * decay + dt;
    }
    this.last = { step, ms };
  }

  /** Undefined until two observations a clock tick apart. */
  perSecond(): number | undefined {
    return this.seconds > 0 ? this.steps / this.seconds : undefined;
  }
}
