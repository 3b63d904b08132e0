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

export interface TimeOptions {
  readonly repeats: number;
  readonly warmup: number;
  /**
   * Wall-clock budget in ms for the warm-up and timed runs together: once it is spent no new run
   * starts, except that at least one run is always timed.
   */
  readonly budgetMs?: number;
  /** Times taken before (they count towards `repeats`). */
  readonly already?: readonly number[];
  readonly onRun?: (kind: "warm-up" | "run", index: number, ms: number) => void;
}

/** Times up to `repeats` runs of `step` after up to `warmup` untimed ones, each run on its own. */
export async function time(step: () => Promise<void>, options: TimeOptions): Promise<Timing & { readonly runs: number }> {
  const budget = options.budgetMs ?? Infinity;
  const started = performance.now();
  const spent = (): boolean => performance.now() - started >= budget;
  for (let i = 0; i < options.warmup && !spent(); i++) {
    const t = performance.now();
    await step();
    options.onRun?.("warm-up", i + 1, performance.now() - t);
  }
  const times: number[] = [...(options.already ?? [])];
  while (times.length < options.repeats && (times.length === 0 || !spent())) {
    const t = performance.now();
    await step();
    const ms = performance.now() - t;
    times.push(ms);
    options.onRun?.("run", times.length, ms);
  }
  return { ...summarize(times), runs: times.length };
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
