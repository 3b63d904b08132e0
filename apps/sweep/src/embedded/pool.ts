import { hostname } from "node:os";
import type { SweepJob } from "../spec/expand.js";
import type { SweepSpec } from "../spec/schema.js";
import type { Launcher } from "../job/launcher.js";
import { type ResultRecord, resultRecord, writeJobResult } from "../job/result.js";
import { type JobOutcome, runJob } from "../job/run.js";

/** What the pool tells its caller as jobs run. */
export type PoolEvent =
  | { readonly kind: "started"; readonly job: SweepJob; readonly attempt: number }
  | { readonly kind: "retrying"; readonly job: SweepJob; readonly attempt: number; readonly outcome: JobOutcome }
  | { readonly kind: "ended"; readonly job: SweepJob; readonly record: ResultRecord }
  | { readonly kind: "interrupted"; readonly job: SweepJob; readonly outcome: JobOutcome };

export interface PoolOptions {
  readonly spec: SweepSpec;
  /** The jobs to run (a resumed sweep leaves out those already done). */
  readonly jobs: readonly SweepJob[];
  readonly sweepRoot: string;
  /** Jobs run at once. */
  readonly workers: number;
  readonly launcher: Launcher;
  /** Aborting stops the pool: running jobs get SIGTERM (a trainer saves a checkpoint), no new job starts. */
  readonly signal?: AbortSignal;
  /** Attempts a job already made (from its earlier result), so a rerun counts on from there. */
  readonly attemptsBefore?: ReadonlyMap<string, number>;
  readonly onEvent?: (event: PoolEvent) => void;
  readonly cwd?: string;
}

export interface PoolResult {
  /** The result of each job that ended (done, or failed after its last retry), in the order they ended. */
  readonly records: readonly ResultRecord[];
  /** Jobs the abort stopped or kept from starting; they stay pending and resume on the next run. */
  readonly unfinished: readonly SweepJob[];
}

/**
 * Runs jobs on this machine, `workers` at a time, each as its own child process. A failed attempt
 * is retried up to spec.retries times (a trainer job resumes from its last checkpoint); a job
 * still failing after that ends "failed" with its last error. Each ended job's result file is
 * written as it ends, so a sweep stopped halfway keeps everything it finished.
 */
export async function runPool(options: PoolOptions): Promise<PoolResult> {
  const { spec, signal } = options;
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`runPool: workers must be an integer >= 1, got ${options.workers}`);
  const queue = [...options.jobs];
  const records: ResultRecord[] = [];
  const unfinished: SweepJob[] = [];
  const host = hostname();

  const runOne = async (job: SweepJob): Promise<void> => {
    const before = options.attemptsBefore?.get(job.id) ?? 0;
    // A rerun of a failed job gets a fresh budget of attempts, counted on from its earlier ones.
    for (let tries = 1; ; tries++) {
      const attempt = before + tries;
      options.onEvent?.({ kind: "started", job, attempt });
      const outcome = await runJob(spec, job, { sweepRoot: options.sweepRoot, launcher: options.launcher, ...(signal ? { signal } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
      if (outcome.status === "interrupted" || (signal?.aborted && outcome.status !== "done")) {
        unfinished.push(job);
        options.onEvent?.({ kind: "interrupted", job, outcome });
        return;
      }
      if (outcome.status === "failed" && tries <= spec.retries) {
        options.onEvent?.({ kind: "retrying", job, attempt, outcome });
        continue;
      }
      const record = resultRecord(job, { ...outcome, status: outcome.status }, attempt, host);
      await writeJobResult(options.sweepRoot, record);
      records.push(record);
      options.onEvent?.({ kind: "ended", job, record });
      return;
    }
  };

  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      if (signal?.aborted) {
        unfinished.push(job, ...queue.splice(0));
        return;
      }
      await runOne(job);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.workers, Math.max(1, queue.length)) }, worker));
  unfinished.sort((a, b) => a.index - b.index);
  return { records, unfinished };
}
