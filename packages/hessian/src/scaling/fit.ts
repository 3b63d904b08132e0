import { UnfoldError } from "@unfold/core";

/** Least-squares slope of log y against log x: the exponent p in y ~ x^p. */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length || xs.length < 2) throw new UnfoldError("logLogSlope", `needs at least two (x, y) pairs of equal count, got ${xs.length} and ${ys.length}`);
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  if (ly.some((v) => !Number.isFinite(v))) throw new UnfoldError("logLogSlope", "every y must be positive to take its logarithm");
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** n points from lo to hi, evenly spaced in log. */
export function logGrid(lo: number, hi: number, n: number): number[] {
  if (!(lo > 0) || !(hi > lo) || !Number.isInteger(n) || n < 2) throw new UnfoldError("logGrid", `needs 0 < lo < hi and n >= 2, got lo ${lo}, hi ${hi}, n ${n}`);
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}
