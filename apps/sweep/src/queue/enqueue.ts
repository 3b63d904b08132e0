import type { JobsOptions, Queue } from "bullmq";
import { type SweepJob, expandSpec } from "../spec/expand.js";
import type { SweepSpec } from "../spec/schema.js";
import { JOB_NAME, queueJobId, queuedJobData, specFingerprint } from "./payload.js";

/** Delay before a failed attempt's retry: 1 s, then 2 s, 4 s, ... (BullMQ's exponential backoff). */
export const RETRY_BACKOFF_MS = 1000;

/** One job as BullMQ adds it: attempts = spec.retries + 1, exponential backoff, kept after it ends (the follower reads its result). */
export function queuedJob(spec: SweepSpec, job: SweepJob, queueId: string): { name: string; data: ReturnType<typeof queuedJobData>; opts: JobsOptions } {
  return {
    name: JOB_NAME,
    data: queuedJobData(spec, job),
    opts: { jobId: queueId, attempts: spec.retries + 1, backoff: { type: "exponential", delay: RETRY_BACKOFF_MS }, removeOnComplete: false, removeOnFail: false },
  };
}

/** A sweep's jobs on the queue: each job's queue id, and what enqueuing found there. */
export interface EnqueuedSweep {
  readonly jobs: readonly { readonly job: SweepJob; readonly queueId: string }[];
  /** Jobs added now. */
  readonly added: number;
  /** Jobs already queued, running or done from an earlier `sweep run` of the same spec. */
  readonly present: number;
  /** Jobs that had failed after their retries and were queued again with a fresh budget. */
  readonly requeued: number;
}

/**
 * Puts every job of the sweep on the queue: attempts = spec.retries + 1, exponential backoff,
 * and a job id fixed by the spec (see queueJobId), so running the same sweep again adds nothing
 * twice: jobs queued, running or done stay as they are, and jobs that failed for good are
 * retried with a fresh budget (as `sweep run` on one machine runs its failed jobs again).
 * Finished jobs stay in Redis, so a follower started later still finds their results.
 */
export async function enqueueSweep(queue: Queue, spec: SweepSpec): Promise<EnqueuedSweep> {
  const fingerprint = specFingerprint(spec);
  const jobs = expandSpec(spec).map((job) => ({ job, queueId: queueJobId(spec, job, fingerprint) }));
  const states = await Promise.all(jobs.map(({ queueId }) => queue.getJobState(queueId)));
  const fresh = jobs.filter((_, i) => states[i] === "unknown");
  const failed = jobs.filter((_, i) => states[i] === "failed");
  for (let i = 0; i < fresh.length; i += 500) {
    await queue.addBulk(fresh.slice(i, i + 500).map(({ job, queueId }) => queuedJob(spec, job, queueId)));
  }
  for (const { queueId } of failed) {
    const job = await queue.getJob(queueId);
    await job?.retry("failed", { resetAttemptsMade: true });
  }
  return { jobs, added: fresh.length, present: jobs.length - fresh.length - failed.length, requeued: failed.length };
}
