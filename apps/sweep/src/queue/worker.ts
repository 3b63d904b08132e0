import { hostname } from "node:os";
import { join } from "node:path";
import { makeDirectory } from "@unfold/files";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Launcher } from "../job/launcher.js";
import { type ResultRecord, readJobResult, resultRecord, writeJobResult } from "../job/result.js";
import { type JobOutcome, runJob } from "../job/run.js";
import { recordSweepSpec } from "../results/sweep-file.js";
import type { SweepJob } from "../spec/expand.js";
import type { SweepSpec } from "../spec/schema.js";
import { QUEUE_NAME, RefusedJob, admitQueuedJob } from "./payload.js";
import { tetheredLauncher } from "./tether.js";

/** What a sweep worker reports as it works: one line per event, for its log. */
/** Every event names its job: `label` is "<sweep> <job id>" ("growth-rate j0002"), or the queue's id for a refused payload. */
export type SweepWorkerEvent =
  | { readonly kind: "started"; readonly label: string; readonly attempt: number }
  | { readonly kind: "ended"; readonly label: string; readonly record: ResultRecord }
  | { readonly kind: "retrying"; readonly label: string; readonly attempt: number; readonly error: string }
  | { readonly kind: "handed-back"; readonly label: string; readonly reason: string }
  | { readonly kind: "refused"; readonly label: string; readonly reason: string };

export interface SweepWorkerOptions {
  /** The connection the worker duplicates for its own (BullMQ needs maxRetriesPerRequest: null). */
  readonly connection: Redis;
  /** The shared results root: a job of sweep NAME runs in <root>/NAME/jobs/<id>. */
  readonly root: string;
  /** Jobs this worker runs at once. */
  readonly concurrency: number;
  readonly launcher: Launcher;
  /**
   * How long a job's lock lives without renewal: a worker silent for this long (killed, cut off)
   * loses its job to another worker. The lock is renewed every half of it while the job runs.
   */
  readonly lockDurationMs: number;
  /** How often this worker looks for jobs whose worker went silent. */
  readonly stalledIntervalMs: number;
  /** How many times a job may be handed on from a silent worker before it fails. */
  readonly maxStalledCount: number;
  readonly onEvent?: (event: SweepWorkerEvent) => void;
  /** Errors of the connection (Redis away, say): the worker keeps going and reconnects. */
  readonly onError?: (message: string) => void;
  /** The commands' working directory (default: this process's). */
  readonly cwd?: string;
}

/** A running sweep worker. */
export interface SweepWorker {
  /**
   * Stops: no new job is taken, each running job's command gets SIGTERM (a trainer saves its
   * checkpoint) and goes back to the queue without using one of its retries, for a worker to
   * resume; resolves once every job is handed back and the worker is closed.
   */
  stop(reason: string): Promise<void>;
  /** Resolves when the worker has closed (after stop). */
  readonly closed: Promise<void>;
  /** Resolves once the worker is connected and taking jobs. */
  readonly ready: Promise<void>;
}

/** BullMQ's defaults: a job of a worker silent for 30 s goes to another worker, checked every 30 s. */
export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;
/** A job handed on from silent workers more often than this fails ("stalled more than allowable limit"). */
export const DEFAULT_MAX_STALLED = 2;

/**
 * Takes sweep jobs from the queue and runs each as its own `unfold` process under the results
 * root, through runJob: the same job directory and result file as `sweep run` on one machine, so
 * a retry on any worker sharing the root resumes the trainer from the job's checkpoint.
 *
 * Each payload is admitted first (see admitQueuedJob): a malformed one fails at once with
 * "refused: ..." and no retries, before any process starts or any folder is made. A failed
 * attempt throws, so BullMQ retries it (spec.retries times, with backoff); the last attempt
 * writes the job's failed result. A done job's result is written, then returned to BullMQ.
 */
export function startSweepWorker(options: SweepWorkerOptions): SweepWorker {
  const host = hostname();
  const launcher = tetheredLauncher(options.launcher);
  // Each running job's stop switch: aborted on stop() or when the worker loses the job's lock.
  const running = new Map<string, AbortController>();
  let stopping: string | undefined;

  const processJob = async (bullJob: Job, token?: string): Promise<ResultRecord> => {
    const queueId = bullJob.id ?? "(no id)";
    let admitted: { spec: SweepSpec; job: SweepJob };
    try {
      admitted = admitQueuedJob(bullJob.id, bullJob.data);
    } catch (error) {
      const reason = error instanceof RefusedJob ? error.message : `refused: ${(error as Error).message}`;
      options.onEvent?.({ kind: "refused", label: queueId, reason });
      throw new UnrecoverableError(reason);
    }
    const { spec, job } = admitted;
    const label = `${spec.name} ${job.id}`;
    const sweepRoot = join(options.root, spec.name);
    try {
      makeDirectory(sweepRoot, "--out");
      // One spec per sweep folder: a changed spec under the same name is refused, not mixed in.
      await recordSweepSpec(sweepRoot, spec, "--out");
    } catch (error) {
      const reason = `refused: ${(error as Error).message}`;
      options.onEvent?.({ kind: "refused", label: queueId, reason });
      throw new UnrecoverableError(reason);
    }
    const attempt = bullJob.attemptsStarted;
    // A worker that wrote the result but died before telling the queue: the job is done; running it again would count it twice.
    const earlier = readJobResult(sweepRoot, job.id);
    if (earlier?.status === "done") {
      options.onEvent?.({ kind: "ended", label, record: earlier });
      return earlier;
    }

    const controller = new AbortController();
    // A job taken just as the worker began to stop goes straight back (runJob starts nothing for an aborted signal).
    if (stopping !== undefined) controller.abort(stopping);
    running.set(queueId, controller);
    options.onEvent?.({ kind: "started", label, attempt });
    let outcome: JobOutcome;
    try {
      // A retry after a silent worker: that worker's trainer lock (on another host) is stale by now.
      outcome = await runJob(spec, job, { sweepRoot, launcher, signal: controller.signal, takeOverForeignLock: attempt > 1, ...(options.cwd ? { cwd: options.cwd } : {}) });
    } finally {
      running.delete(queueId);
    }

    if (outcome.status === "interrupted" || (controller.signal.aborted && outcome.status === "failed")) {
      const reason = String(controller.signal.reason ?? outcome.error ?? "stopped");
      options.onEvent?.({ kind: "handed-back", label, reason });
      // Back to the queue without using an attempt (a DelayedError does not count one): a worker resumes it from its checkpoint.
      try {
        await bullJob.moveToDelayed(Date.now(), token);
      } catch (error) {
        // The job's lock is gone (Redis away too long): the queue's stalled check hands it on instead.
        throw new Error(`${reason}; could not hand it back (${(error as Error).message})`);
      }
      throw new DelayedError(`${reason}: handed back to the queue`);
    }
    const lastAttempt = bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1);
    if (outcome.status === "failed" && !lastAttempt) {
      options.onEvent?.({ kind: "retrying", label, attempt, error: outcome.error ?? "failed" });
      throw new Error(outcome.error ?? "failed");
    }
    const record = resultRecord(job, { ...outcome, status: outcome.status }, attempt, host);
    await writeJobResult(sweepRoot, record);
    options.onEvent?.({ kind: "ended", label, record });
    // The last attempt: BullMQ moves it to failed with this message, the table's error.
    if (record.status === "failed") throw new Error(record.error ?? "failed");
    return record;
  };

  const worker = new Worker(QUEUE_NAME, processJob, {
    // Shown as the job's processedBy: the machine that ran it.
    name: host,
    connection: options.connection,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
    autorun: true,
  });
  // BullMQ reports connection trouble as 'error' events; unheard, an EventEmitter would throw them.
  worker.on("error", (error) => options.onError?.(error.message));
  // Another worker may take a job whose lock this one could not renew: stop its command rather than run it twice.
  worker.on("lockRenewalFailed", (ids) => {
    for (const id of ids) running.get(id)?.abort(`job ${id} lost its lock (Redis unreachable for longer than the lock lasts)`);
  });

  let closing: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (closing) return closing;
    stopping = reason;
    for (const controller of running.values()) controller.abort(stopping);
    // close() takes no new job and waits for the running ones, which end once their commands have saved.
    closing = worker.close();
    return closing;
  };
  return { stop, closed: new Promise((resolve) => worker.once("closed", () => resolve())), ready: worker.waitUntilReady().then(() => undefined) };
}
