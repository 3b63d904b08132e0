import { UnfoldError } from "./errors.js";
import { describeValue } from "./validate.js";

/**
 * A small seeded generator (mulberry32 with Box-Muller normals), so examples, tests and
 * reports are reproducible without a dependency.
 */
export class Random {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    // The seed is folded to 32 bits; a fraction, NaN or a string would be folded silently too.
    if (typeof seed !== "number" || !Number.isInteger(seed)) throw new UnfoldError("Random", `seed must be an integer, got ${describeValue(seed)}`);
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** `count` independent normal draws of standard deviation `scale`. */
  normals(count: number, scale = 1): Float64Array {
    return Float64Array.from({ length: count }, () => this.normal() * scale);
  }

  /** `count` independent uniform draws on [lo, hi). */
  uniforms(count: number, lo = 0, hi = 1): Float64Array {
    return Float64Array.from({ length: count }, () => lo + (hi - lo) * this.uniform());
  }
}
