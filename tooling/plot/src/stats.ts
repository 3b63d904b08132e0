export interface Quartiles {
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
}

/** The p-quantile of sorted values, interpolating linearly between order statistics. */
function quantileOfSorted(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const a = sorted[below]!;
  const b = sorted[Math.min(below + 1, sorted.length - 1)]!;
  const t = h - below;
  // b - a overflows for values near both ends of the double range; the weighted sum does not.
  return Number.isFinite(b - a) ? a + t * (b - a) : a * (1 - t) + b * t;
}

function sortedFinite(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new RangeError(`${what}: no values`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${what}: value ${values[bad]} at index ${bad} is not finite`);
  return [...values].sort((a, b) => a - b);
}

/**
 * Five-number summary. Quartiles interpolate linearly between order statistics (Hyndman and
 * Fan's type 7, the default of R and NumPy), so [1, 2, 3, 4] has q1 1.75 and q3 3.25.
 * Empty or non-finite input is an error: a summary of garbage would look plausible.
 */
export function quartiles(values: readonly number[]): Quartiles {
  const sorted = sortedFinite(values, "quartiles");
  return { min: sorted[0]!, q1: quantileOfSorted(sorted, 0.25), median: quantileOfSorted(sorted, 0.5), q3: quantileOfSorted(sorted, 0.75), max: sorted.at(-1)! };
}

export interface BoxStats extends Quartiles {
  /** The most extreme values within the fences q1 - k IQR and q3 + k IQR. */
  readonly whiskerLow: number;
  readonly whiskerHigh: number;
  /** Values beyond the fences, ascending. */
  readonly outliers: readonly number[];
  readonly count: number;
}

/** Tukey's box: quartiles, whiskers to the last values within `whisker` IQR, the rest outliers. */
export function boxStats(values: readonly number[], whisker = 1.5): BoxStats {
  const sorted = sortedFinite(values, "boxStats");
  const q = quartiles(sorted);
  const iqr = q.q3 - q.q1;
  const lowFence = q.q1 - whisker * iqr;
  const highFence = q.q3 + whisker * iqr;
  const inside = sorted.filter((v) => v >= lowFence && v <= highFence);
  return {
    ...q,
    whiskerLow: inside[0]!,
    whiskerHigh: inside.at(-1)!,
    outliers: sorted.filter((v) => v < lowFence || v > highFence),
    count: sorted.length,
  };
}
