import type { Queue } from "bullmq";
import { parseQueueJobId } from "./payload.js";

/** The job states `sweep status` counts. */
export const STATUS_STATES = ["waiting", "active", "delayed", "completed", "failed"] as const;
export type StatusState = (typeof STATUS_STATES)[number];

/** A failed job and why: its last error (a refusal starts with "refused: "). */
export interface FailedJob {
  readonly queueId: string;
  /** The sweep job id (j0007), when the queue id is a sweep job's. */
  readonly job?: string;
  readonly attempts: number;
  readonly error: string;
}

/** One sweep's counts on the queue (jobs whose id is not a sweep job's are counted under "(not a sweep job)"). */
export interface SweepQueueStatus {
  readonly sweep: string;
  readonly counts: Readonly<Record<StatusState, number>>;
  readonly failed: readonly FailedJob[];
}

/** The name the status gives jobs whose queue id no sweep would give (pushed onto the queue by something else). */
export const FOREIGN = "(not a sweep job)";

/**
 * The queue's jobs by sweep: how many are waiting (BullMQ's waiting and prioritized), active,
 * delayed (a retry waiting for its backoff, or a job handed back by a stopping worker), completed
 * and failed, with each failed job's error. `sweep` keeps one sweep only.
 */
export async function queueStatus(queue: Queue, sweep?: string): Promise<SweepQueueStatus[]> {
  const bySweep = new Map<string, { counts: Record<StatusState, number>; failed: FailedJob[] }>();
  const entry = (name: string): { counts: Record<StatusState, number>; failed: FailedJob[] } => {
    let e = bySweep.get(name);
    if (!e) {
      e = { counts: { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 }, failed: [] };
      bySweep.set(name, e);
    }
    return e;
  };
  const types: Record<StatusState, ("waiting" | "prioritized" | "active" | "delayed" | "completed" | "failed")[]> = {
    waiting: ["waiting", "prioritized"],
    active: ["active"],
    delayed: ["delayed"],
    completed: ["completed"],
    failed: ["failed"],
  };
  for (const state of STATUS_STATES) {
    const jobs = await queue.getJobs(types[state], 0, -1, true);
    for (const job of jobs) {
      if (job?.id === undefined) continue;
      const parsed = parseQueueJobId(job.id);
      const name = parsed?.sweep ?? FOREIGN;
      if (sweep !== undefined && name !== sweep) continue;
      const e = entry(name);
      e.counts[state]++;
      if (state === "failed") e.failed.push({ queueId: job.id, ...(parsed ? { job: parsed.job } : {}), attempts: job.attemptsStarted, error: job.failedReason || "failed" });
    }
  }
  return [...bySweep].sort(([a], [b]) => a.localeCompare(b)).map(([name, e]) => ({ sweep: name, counts: e.counts, failed: e.failed.sort((x, y) => x.queueId.localeCompare(y.queueId)) }));
}
