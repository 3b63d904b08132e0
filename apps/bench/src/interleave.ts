import { type Timing, summarize } from "./measure.js";

/** One engine's part in an interleaved timing: its step and its own limits. */
export interface Contestant {
  readonly step: () => Promise<void>;
  readonly repeats: number;
  readonly warmup: number;
  /** Times taken before (they count towards `repeats`), e.g. a slow engine's timed check run. */
  readonly already?: readonly number[];
}

export interface InterleaveOptions {
  /**
   * Per contestant, a budget in ms of its own run time (warm-up and timed runs together): once it
   * is spent the contestant starts no new run, except that at least one run is always timed.
   */
  readonly budgetMs?: number;
  /**
   * Idle ms before every run. Thread pools spin for a while after their work (onnxruntime-web's
   * for 15-20 ms, ours for 0.05 ms); the gap lets them park before the next engine starts, so no
   * engine is timed against another's spinning threads.
   */
  readonly gapMs?: number;
  readonly onRun?: (contestant: number, kind: "warm-up" | "run", index: number, ms: number) => void;
}

export type InterleavedTiming = (Timing & { readonly runs: number }) | { readonly error: unknown };

/**
 * Times several engines on one problem in rounds: every round runs each contestant once, starting
 * with a different one each round. Drift in the machine's speed over the minutes a row takes (a
 * shared VM's neighbours, thermal state, a collector's debt) then falls on every engine alike,
 * where timing the engines one block after another hands it to whichever ran at the wrong time.
 */
export async function timeInterleaved(contestants: readonly Contestant[], options: InterleaveOptions = {}): Promise<InterleavedTiming[]> {
  const budget = options.budgetMs ?? Infinity;
  const gap = options.gapMs ?? 0;
  const spent = contestants.map(() => 0);
  const warmed = contestants.map(() => 0);
  const times: number[][] = contestants.map((c) => [...(c.already ?? [])]);
  // A contestant whose step throws drops out; the others go on.
  const failed = new Map<number, unknown>();
  const wantsWarmup = (i: number): boolean => !failed.has(i) && warmed[i]! < contestants[i]!.warmup && spent[i]! < budget;
  const wantsRun = (i: number): boolean => !failed.has(i) && times[i]!.length < contestants[i]!.repeats && (times[i]!.length === 0 || spent[i]! < budget);
  const runOnce = async (i: number): Promise<number | undefined> => {
    if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    const t = performance.now();
    try {
      await contestants[i]!.step();
    } catch (error) {
      failed.set(i, error);
      return undefined;
    }
    const ms = performance.now() - t;
    spent[i]! += ms;
    return ms;
  };
  /** Rounds in rotating order, each running every contestant that still `wants`, until none does. */
  const inRounds = async (wants: (i: number) => boolean, ran: (i: number, ms: number) => void): Promise<void> => {
    for (let round = 0, any = true; any; round++) {
      any = false;
      for (const i of rotated(contestants.length, round)) {
        if (!wants(i)) continue;
        any = true;
        const ms = await runOnce(i);
        if (ms !== undefined) ran(i, ms);
      }
    }
  };
  await inRounds(wantsWarmup, (i, ms) => {
    warmed[i]!++;
    options.onRun?.(i, "warm-up", warmed[i]!, ms);
  });
  await inRounds(wantsRun, (i, ms) => {
    times[i]!.push(ms);
    options.onRun?.(i, "run", times[i]!.length, ms);
  });
  return times.map((t, i) => (failed.has(i) ? { error: failed.get(i) } : { ...summarize(t), runs: t.length }));
}

/** 0..n-1 starting at round mod n. */
function rotated(n: number, round: number): number[] {
  return Array.from({ length: n }, (_, k) => (k + round) % n);
}
