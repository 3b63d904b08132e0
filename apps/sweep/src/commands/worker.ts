import { availableParallelism } from "node:os";
import { type CommandIO, integerFlag, parse, positiveFlag } from "@unfold/cli";
import { prepareOutputDirectory } from "@unfold/files";
import { STOP_SIGNALS, type StopSignal } from "../embedded/signals.js";
import { defaultLauncher } from "../job/launcher.js";
import { connectChecked, parseQueueUrl } from "../queue/connection.js";
import { QUEUE_NAME } from "../queue/payload.js";
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_MAX_STALLED, type SweepWorkerEvent, startSweepWorker } from "../queue/worker.js";
import type { SweepCommandOptions } from "./options.js";

/** Where a worker's sweeps go without --out: each sweep in <root>/NAME, as `sweep run` writes out/sweeps/NAME. */
export const DEFAULT_WORKER_ROOT = "out/sweeps";

export const WORKER_USAGE = `usage: unfold sweep worker --queue redis://HOST:PORT [--out ROOT] [--concurrency N] [--lock-timeout S]
Takes sweep jobs from the queue (any sweep's) and runs each here as its own \`unfold\` process in
ROOT/NAME/jobs/<id>; runs until stopped. Give every worker of a sweep the same ROOT (a shared
folder) so that a job retried on another machine resumes the trainer from its checkpoint.
Each job's payload is checked against the sweep schema first; one that fails is refused
("refused: ...", no retries) before anything runs.
  --queue URL         redis://[USER@]HOST[:PORT][/DB] or rediss:// (TLS); a password comes from
                      UNFOLD_REDIS_PASSWORD, never the URL
  --out ROOT          the shared results root (default ${DEFAULT_WORKER_ROOT})
  --concurrency N     jobs at once (default: the cores, ${availableParallelism()} here; for jobs of
                      several threads give the cores divided by the spec's threadsPerJob)
  --lock-timeout S    seconds a silent worker keeps its job before another worker takes it
                      over (default ${DEFAULT_LOCK_DURATION_MS / 1000}; also how often this worker looks for such jobs)
SIGTERM (or Ctrl-C) stops taking jobs, sends each running job SIGTERM (a trainer saves a
checkpoint), hands those jobs back to the queue without using a retry, and exits 143 (130).`;

/** `unfold sweep worker`: runs queued sweep jobs until a signal stops it. */
export async function workerCommand(args: string[], io: CommandIO, options: SweepCommandOptions = {}): Promise<void> {
  const flags = parse(args, { queue: { type: "string" }, out: { type: "string" }, concurrency: { type: "string" }, "lock-timeout": { type: "string" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(WORKER_USAGE);
  if (flags["queue"] === undefined) throw new Error("sweep worker needs --queue redis://HOST:PORT, the queue to take jobs from");
  const address = parseQueueUrl(flags["queue"]);
  const concurrency = integerFlag("concurrency", flags["concurrency"], availableParallelism());
  const lockSeconds = positiveFlag("lock-timeout", flags["lock-timeout"], DEFAULT_LOCK_DURATION_MS / 1000);
  if (lockSeconds < 0.5) throw new Error(`--lock-timeout must be at least 0.5 seconds (the lock is renewed every half of it), got '${String(flags["lock-timeout"])}'`);
  const outFlag = flags["out"];
  if (outFlag !== undefined && (typeof outFlag !== "string" || outFlag.trim() === "")) throw new Error("--out needs a directory path");
  const root = prepareOutputDirectory(outFlag ?? DEFAULT_WORKER_ROOT, outFlag === undefined ? `--out (default ${DEFAULT_WORKER_ROOT})` : "--out");
  const launcher = options.launcher ?? defaultLauncher();
  if (options.signal?.aborted) return;

  let lastError = "";
  const onError = (message: string): void => {
    // A Redis restart repeats the same error on every reconnection try: say it once.
    if (message !== lastError) io.progress(`queue: ${message} (reconnecting)`);
    lastError = message;
  };
  const connection = await connectChecked(address, "unfold-sweep-worker", { onError });
  connection.on("ready", () => {
    if (lastError !== "") io.progress(`queue: connected again to ${address.shown}`);
    lastError = "";
  });
  const worker = startSweepWorker({
    connection,
    root,
    concurrency,
    launcher,
    lockDurationMs: Math.round(lockSeconds * 1000),
    stalledIntervalMs: Math.round(lockSeconds * 1000),
    maxStalledCount: DEFAULT_MAX_STALLED,
    onEvent: (event) => io.progress(describeEvent(event)),
    onError,
  });
  let stoppedBy: string | undefined;
  const stop = (): void => {
    stoppedBy = String(options.signal?.reason ?? "SIGTERM");
    io.progress(`${stoppedBy}: stopping; running jobs get SIGTERM and go back to the queue (a second ${stoppedBy} quits at once)`);
    void worker.stop(`worker stopped by ${stoppedBy}`);
  };
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await worker.ready;
    io.progress(`sweep worker on ${address.shown} (queue ${QUEUE_NAME}): ${concurrency} job${concurrency === 1 ? "" : "s"} at a time, results under ${root}; waiting for jobs`);
    await worker.closed;
  } finally {
    options.signal?.removeEventListener("abort", stop);
    connection.disconnect();
  }
  io.progress(`sweep worker stopped${stoppedBy ? ` (${stoppedBy})` : ""}`);
  if (stoppedBy !== undefined) process.exitCode = stoppedBy in STOP_SIGNALS ? STOP_SIGNALS[stoppedBy as StopSignal] : STOP_SIGNALS.SIGTERM;
}

/** One line of the worker's log for an event. */
export function describeEvent(event: SweepWorkerEvent): string {
  switch (event.kind) {
    case "started":
      return `${event.label}: started (attempt ${event.attempt})`;
    case "ended": {
      const r = event.record;
      const resumed = r.resumedFromStep !== undefined ? `, resumed from step ${r.resumedFromStep}` : "";
      return r.status === "done" ? `${event.label}: done in ${(r.durationMs / 1000).toFixed(1)} s${resumed}` : `${event.label}: failed after ${r.attempts} attempts: ${r.error ?? ""}`;
    }
    case "retrying":
      return `${event.label}: attempt ${event.attempt} failed (${event.error}); the queue retries it`;
    case "handed-back":
      return `${event.label}: ${event.reason}; handed back to the queue (it resumes from its checkpoint)`;
    case "refused":
      return `${event.label}: ${event.reason}`;
  }
}
