import type { CommandIO } from "@unfold/cli";
import { lockDirectory, prepareOutputDirectory } from "@unfold/files";
import { Queue, QueueEvents } from "bullmq";
import { createSweepProgress } from "../embedded/progress.js";
import { STOP_SIGNALS, type StopSignal } from "../embedded/signals.js";
import { recordSweepSpec } from "../results/sweep-file.js";
import { writeResults } from "../results/write.js";
import type { SweepSpec } from "../spec/schema.js";
import { connect, connectChecked, parseQueueUrl } from "../queue/connection.js";
import { enqueueSweep, queuedJob } from "../queue/enqueue.js";
import { type FollowedTiming, followSweep } from "../queue/follow.js";
import { QUEUE_NAME } from "../queue/payload.js";
import { type SweepCommandOptions, sweepRootFlag } from "./options.js";
import { printResults, summaryOf } from "./report.js";

/** The queue's overhead per job, as the follower measured it (milliseconds). */
export interface QueueOverhead {
  readonly jobs: number;
  readonly enqueueToStartMs: { readonly median: number; readonly max: number };
  readonly resultToCollatedMs: { readonly median: number; readonly max: number };
}

/**
 * `unfold sweep run SPEC --queue redis://HOST:PORT [--out DIR] [--detach] [--json]`: puts the
 * sweep's jobs on BullMQ (see enqueueSweep) and follows them until each has ended, with the
 * same progress line, per-job result files, table and plots in DIR as a run on this machine.
 * With --detach it returns once the jobs are queued. Stopping it (Ctrl-C, SIGTERM) stops only
 * the following: the jobs go on on their workers, and the same command follows them again.
 */
export async function runOnQueue(spec: SweepSpec, specPath: string, flags: Record<string, string | boolean | undefined>, io: CommandIO, options: SweepCommandOptions): Promise<void> {
  const address = parseQueueUrl(flags["queue"]);
  if (flags["workers"] !== undefined) throw new Error("--workers: with --queue the jobs run on `unfold sweep worker` processes; give each worker --concurrency N instead");
  const detach = flags["detach"] === true;
  if (detach && flags["out"] !== undefined) {
    throw new Error("--out: with --detach nothing is written here (the workers write under their own --out); follow and collate later with the same `sweep run` without --detach");
  }
  const out = sweepRootFlag(flags["out"], spec.name);
  const root = detach ? undefined : prepareOutputDirectory(out.path, out.label);
  const lock = root !== undefined ? lockDirectory(root, { label: out.label, command: `unfold sweep run ${specPath} --queue ${address.shown}`.slice(0, 200), onReclaim: io.progress }) : undefined;
  let connection;
  let eventsConnection;
  try {
    if (root !== undefined) await recordSweepSpec(root, spec, out.label);
    let lastError = "";
    const onError = (message: string): void => {
      if (message !== lastError) io.progress(`queue: ${message} (reconnecting)`);
      lastError = message;
    };
    connection = await connectChecked(address, "unfold-sweep-run", { onError });
    connection.on("ready", () => void (lastError = ""));
    const queue = new Queue(QUEUE_NAME, { connection });
    queue.on("error", (error) => onError(error.message));
    // The events' reader blocks its connection: it gets one of its own, listening before anything is enqueued.
    eventsConnection = connect(address, "unfold-sweep-events", onError);
    const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
    events.on("error", (error) => onError(error.message));
    try {
      if (!detach) await events.waitUntilReady();
      const enqueued = await enqueueSweep(queue, spec);
      const parts = [`${enqueued.added} added`, enqueued.present ? `${enqueued.present} already on the queue` : "", enqueued.requeued ? `${enqueued.requeued} failed ones queued again` : ""].filter(Boolean);
      const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;
      io.progress(`sweep ${spec.name}: ${count(enqueued.jobs.length, "job")} of unfold ${spec.command} on ${address.shown} (queue ${QUEUE_NAME}; ${parts.join(", ")})`);
      if (detach) {
        io.out(`sweep ${spec.name}: ${count(enqueued.jobs.length, "job")} queued on ${address.shown}; start workers with: unfold sweep worker --queue ${address.shown} --out ROOT`);
        io.out(`follow: unfold sweep status --queue ${address.shown} ${spec.name}`);
        io.out(`collate: unfold sweep run ${specPath} --queue ${address.shown} [--out DIR] (follows to the end), or unfold sweep results --out ROOT/${spec.name} on the workers' shared ROOT`);
        if (flags["json"]) io.out(JSON.stringify({ sweep: spec.name, queue: address.shown, jobs: enqueued.jobs.length, added: enqueued.added, present: enqueued.present, requeued: enqueued.requeued, detached: true }));
        return;
      }
      const dir = root!;
      io.progress(`following until every job has ended; results in ${dir} (Ctrl-C stops following, not the jobs)`);
      const progress = createSweepProgress(options.progressStream ?? process.stderr);
      let lastEnded = 0;
      const followed = await followSweep({
        queue,
        events,
        jobs: enqueued.jobs,
        dir,
        ...(options.signal ? { signal: options.signal } : {}),
        // Off a terminal the line is printed as each job ends.
        onCounts: (c) => {
          const ended = c.done + c.failed;
          progress.update({ ...c, skipped: 0 }, ended > lastEnded);
          lastEnded = ended;
        },
        onEnded: (record) => {
          if (record.status === "failed") progress.log(`${record.id}: failed after ${record.attempts} attempt${record.attempts === 1 ? "" : "s"}: ${record.error ?? ""}`);
        },
        requeue: async (job, queueId) => {
          const { name, data, opts } = queuedJob(spec, job, queueId);
          await queue.add(name, data, opts);
        },
        onWarning: (message) => progress.log(message),
      });
      progress.done();
      const written = await writeResults(dir, spec, [...followed.records.values()]);
      const overhead = overheadOf(followed.timings);
      printResults(io, written, { ...summaryOf(dir, written, followed.stopped ? true : undefined), ...(overhead ? { queue: address.shown, overhead } : { queue: address.shown }) }, flags["json"] === true);
      if (overhead) io.progress(`queue overhead per job (${count(overhead.jobs, "job")}): enqueue to start median ${overhead.enqueueToStartMs.median} ms (max ${overhead.enqueueToStartMs.max}), result to collated median ${overhead.resultToCollatedMs.median} ms (max ${overhead.resultToCollatedMs.max})`);
      if (followed.stopped) {
        const reason = String(options.signal?.reason ?? "SIGINT");
        io.progress(`${reason}: stopped following with ${count(enqueued.jobs.length - followed.records.size, "job")} unfinished; they go on on the workers; run the same command again to follow them`);
        process.exitCode = reason in STOP_SIGNALS ? STOP_SIGNALS[reason as StopSignal] : STOP_SIGNALS.SIGINT;
      } else if (written.results.failed > 0) {
        throw new Error(`${written.results.failed} of ${enqueued.jobs.length} jobs failed after their retries; their errors are in ${written.markdown}`);
      }
    } finally {
      await events.close();
      await queue.close();
    }
  } finally {
    connection?.disconnect();
    eventsConnection?.disconnect();
    lock?.release();
  }
}

/** Median and max of each overhead over the followed jobs (whole milliseconds); undefined when none was timed. */
export function overheadOf(timings: readonly FollowedTiming[]): QueueOverhead | undefined {
  if (timings.length === 0) return undefined;
  const stats = (values: number[]): { median: number; max: number } => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { median: Math.round(median), max: Math.round(sorted.at(-1)!) };
  };
  return { jobs: timings.length, enqueueToStartMs: stats(timings.map((t) => t.enqueueToStartMs)), resultToCollatedMs: stats(timings.map((t) => t.resultToCollatedMs)) };
}
