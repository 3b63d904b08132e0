import { relativeError } from "@unfold/core";
import type { Outputs } from "./workloads/problem.js";

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /**
   * The median absolute deviation of the runs from their median: a spread that one outlier
   * (a collection, a neighbour's burst) does not move, and the noise `--compare` judges against.
   */
  readonly madMs: number;
}

const medianOf = (sorted: readonly number[]): number => {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function summarize(times: readonly number[]): Timing {
  if (times.length === 0) throw new Error("no timed runs to summarize");
  const sorted = [...times].sort((a, b) => a - b);
  const medianMs = medianOf(sorted);
  const madMs = medianOf(sorted.map((t) => Math.abs(t - medianMs)).sort((a, b) => a - b));
  return { medianMs, minMs: sorted[0]!, maxMs: sorted.at(-1)!, madMs };
}

/**
 * The largest ||out - ref|| / ||ref|| over the named outputs: one badly computed output is not
 * hidden by a large, well computed one.
 */
export function maxRelativeError(outputs: Outputs, reference: Outputs): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(reference)) {
    const out = outputs[name];
    if (!out) throw new Error(`engine returned no output '${name}' (it returned: ${Object.keys(outputs).join(", ") || "nothing"})`);
    if (out.length !== ref.length) throw new Error(`output '${name}' has ${out.length} values, the reference ${ref.length}`);
    const err = relativeError(out, ref);
    // NaN compares false with everything: make it the worst.
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}
