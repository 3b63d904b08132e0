import type { Job, Queue, QueueEvents } from "bullmq";
import { ResultRecord, writeJobResult } from "../job/result.js";
import type { SweepJob } from "../spec/expand.js";

/** How often the follower reads every unfinished job's state, besides the queue's events: what it missed while Redis was away is caught up this way. */
export const RECONCILE_MS = 2000;

/** One job's way through the queue, as the follower saw it. */
export interface FollowedTiming {
  readonly id: string;
  /** Added to the queue -> taken by a worker (the last attempt's start). */
  readonly enqueueToStartMs: number;
  /** The worker finished it -> its result was in the follower's results folder. */
  readonly resultToCollatedMs: number;
}

export interface FollowCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly running: number;
}

export interface FollowOptions {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly jobs: readonly { readonly job: SweepJob; readonly queueId: string }[];
  /** The follower's results folder: each ended job's result.json goes to <dir>/jobs/<id>. */
  readonly dir: string;
  /** Stops following (the jobs go on running on their workers). */
  readonly signal?: AbortSignal;
  /** Each change of the counts. */
  readonly onCounts?: (counts: FollowCounts) => void;
  /** Each job that ended: its record, as written. */
  readonly onEnded?: (record: ResultRecord) => void;
  /**
   * Puts a job back on the queue when it is no longer there (a Redis restarted without its data):
   * without this the follower would wait for it forever.
   */
  readonly requeue?: (job: SweepJob, queueId: string) => Promise<void>;
  /** Connection trouble and records that could not be read, one line each. */
  readonly onWarning?: (message: string) => void;
}

export interface FollowResult {
  /** Every ended job's record, by sweep job id. */
  readonly records: ReadonlyMap<string, ResultRecord>;
  readonly timings: readonly FollowedTiming[];
  /** The signal stopped following before every job had ended. */
  readonly stopped: boolean;
}

type Seen = "waiting" | "active" | "ended";

/**
 * Follows a sweep's jobs on the queue until each has ended (done, or failed after its retries),
 * writing each one's result into `dir` as it ends: a done job's record is what its worker
 * returned; a failed job's is built from the queue (its error, attempts and the machine that ran
 * it), which also covers a job whose worker could not write one (a job handed on from silent
 * workers too often). Listens to the queue's events for promptness and reads every unfinished
 * job's state every RECONCILE_MS, so events lost while Redis was away delay nothing for long.
 */
export async function followSweep(options: FollowOptions): Promise<FollowResult> {
  const { queue, events } = options;
  const byQueueId = new Map(options.jobs.map((j) => [j.queueId, j.job]));
  const seen = new Map<string, Seen>(options.jobs.map((j) => [j.queueId, "waiting"]));
  const records = new Map<string, ResultRecord>();
  const timings: FollowedTiming[] = [];
  const counts = (): FollowCounts => {
    let running = 0;
    for (const s of seen.values()) if (s === "active") running++;
    const ended = [...records.values()];
    return { total: options.jobs.length, done: ended.filter((r) => r.status === "done").length, failed: ended.filter((r) => r.status === "failed").length, running };
  };
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const report = (): void => {
    options.onCounts?.(counts());
    if (records.size === options.jobs.length) finish();
  };

  // One settle per job at a time: an event and the periodic read may look at the same job together.
  const settling = new Map<string, Promise<void>>();
  const settle = (queueId: string): Promise<void> => {
    const job = byQueueId.get(queueId);
    if (job === undefined || seen.get(queueId) === "ended") return Promise.resolve();
    const previous = settling.get(queueId);
    if (previous) return previous;
    const run = (async () => {
      // The state first, then the job's fields. BullMQ ends a job (completed or failed) and writes
      // its result or error in one step, so fields read after an ended state are the ended job's.
      // Read the other way round, the fields could be from just before a worker finished the job,
      // without its result, and a done job would be listed as failed ("returned no sweep result").
      // That gap is widest after a Redis restart, when the follower's and the workers' waiting
      // commands all go at once.
      const state = await queue.getJobState(queueId);
      if (state === "completed" || state === "failed") {
        const bullJob = await queue.getJob(queueId);
        // Gone, or queued again since (which clears finishedOn): the next look settles it.
        if (bullJob?.finishedOn !== undefined) await ended(job, bullJob, state);
        return;
      }
      if (state === "unknown") {
        // In no list: lost with Redis's data, unless its fields say otherwise (then the next look settles it).
        if (options.requeue === undefined || (await queue.getJob(queueId)) !== undefined) return;
        options.onWarning?.(`job ${job.id} is no longer on the queue (Redis lost its data?); queuing it again`);
        await options.requeue(job, queueId);
        return;
      }
      const now: Seen = state === "active" ? "active" : "waiting";
      if (seen.get(queueId) !== now) {
        seen.set(queueId, now);
        report();
      }
    })()
      .catch((error: unknown) => options.onWarning?.(`job ${job.id}: ${(error as Error).message}`))
      .finally(() => settling.delete(queueId));
    settling.set(queueId, run);
    return run;
  };

  const ended = async (job: SweepJob, bullJob: Job, state: "completed" | "failed"): Promise<void> => {
    const record = state === "completed" ? completedRecord(job, bullJob) : failedRecord(job, bullJob);
    if (record === undefined) {
      options.onWarning?.(`job ${job.id}: its worker returned no sweep result (${JSON.stringify(bullJob.returnvalue)?.slice(0, 80)}); listed as failed`);
    }
    const final = record ?? { ...failedRecord(job, bullJob), error: "its worker returned no sweep result" };
    await writeJobResult(options.dir, final);
    const collated = Date.now();
    seen.set(bullJob.id!, "ended");
    records.set(job.id, final);
    if (bullJob.processedOn !== undefined && bullJob.finishedOn !== undefined) {
      timings.push({ id: job.id, enqueueToStartMs: Math.max(0, bullJob.processedOn - bullJob.timestamp), resultToCollatedMs: Math.max(0, collated - bullJob.finishedOn) });
    }
    options.onEnded?.(final);
    report();
  };

  const onEvent = ({ jobId }: { jobId: string }): void => void settle(jobId);
  const onActive = ({ jobId }: { jobId: string }): void => {
    if (seen.get(jobId) === "waiting") {
      seen.set(jobId, "active");
      report();
    }
  };
  // A job's state changed: look at it again (the look decides, not the event's payload).
  const SETTLING_EVENTS = ["completed", "failed", "waiting", "delayed", "stalled"] as const;
  for (const name of SETTLING_EVENTS) events.on(name, onEvent);
  events.on("active", onActive);

  const reconcile = async (): Promise<void> => {
    await Promise.all([...seen].filter(([, s]) => s !== "ended").map(([id]) => settle(id)));
  };
  const timer = setInterval(() => void reconcile(), RECONCILE_MS);
  const stop = (): void => finish();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await reconcile();
    report();
    if (!options.signal?.aborted) await finished;
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener("abort", stop);
    for (const name of SETTLING_EVENTS) events.off(name, onEvent);
    events.off("active", onActive);
    await Promise.all(settling.values());
  }
  return { records, timings, stopped: records.size < options.jobs.length };
}

/** A done job's record: the ResultRecord its worker returned, checked to be this job's; undefined when it is not one. */
function completedRecord(job: SweepJob, bullJob: Job): ResultRecord | undefined {
  const parsed = ResultRecord.safeParse(bullJob.returnvalue);
  return parsed.success && parsed.data.id === job.id && parsed.data.status === "done" ? parsed.data : undefined;
}

/** A failed job's record from the queue: its last error, how often it started, and the machine that ran it last. */
function failedRecord(job: SweepJob, bullJob: Job): ResultRecord {
  return {
    id: job.id,
    point: job.point,
    repeat: job.repeat,
    status: "failed",
    metrics: {},
    attempts: Math.max(1, bullJob.attemptsStarted),
    host: bullJob.processedBy ?? "unknown",
    durationMs: bullJob.processedOn !== undefined && bullJob.finishedOn !== undefined ? Math.max(0, bullJob.finishedOn - bullJob.processedOn) : 0,
    error: bullJob.failedReason || "failed",
  };
}
