import { type CommandIO, parse } from "@unfold/cli";
import { lockDirectory, prepareOutputDirectory } from "@unfold/files";
import { type PoolEvent, runPool } from "../embedded/pool.js";
import { type SweepCounts, createSweepProgress } from "../embedded/progress.js";
import { STOP_SIGNALS, type StopSignal } from "../embedded/signals.js";
import { defaultLauncher } from "../job/launcher.js";
import { readJobResult } from "../job/result.js";
import type { ResultRecord } from "../job/result.js";
import { expandSpec } from "../spec/expand.js";
import { loadSweepSpec } from "../spec/load.js";
import { recordSweepSpec } from "../results/sweep-file.js";
import { writeResults } from "../results/write.js";
import { type SweepCommandOptions, specAndFlags, sweepRootFlag, workersFlag } from "./options.js";
import { printResults, summaryOf } from "./report.js";
import { runOnQueue } from "./run-queue.js";

export const RUN_USAGE = `usage: unfold sweep run SPEC.json [--out DIR] [--workers N] [--json]
       unfold sweep run SPEC.json --queue redis://HOST:PORT [--detach] ...   (across machines: see docs/sweeps.md)
Runs every job of the sweep spec on this machine, N at a time, each as its own \`unfold\` process
with its own --out in DIR/jobs/<id>, with a live progress line (done, running, failed, ETA).
A failed job is retried up to the spec's "retries" (a trainer job resumes from its last
checkpoint); at the end the results table is printed and written to DIR (results.jsonl,
results.md, plots/). Running it again on the same DIR skips the jobs already done.
  --out DIR     the sweep's results folder (default out/sweeps/NAME, NAME from the spec)
  --workers N   jobs at once (default: the cores divided by the spec's threadsPerJob)
  --json        end with one JSON object on the last line
Ctrl-C (or SIGTERM) sends each running job SIGTERM (a trainer saves a checkpoint), writes the
results so far and exits 130 (143); the next run resumes those jobs. A second one quits at once.`;

/** `unfold sweep run`: the embedded runner (or, with --queue, the queue's enqueue and follow). */
export async function runCommand(args: string[], io: CommandIO, options: SweepCommandOptions = {}): Promise<void> {
  if (args[0] === "--help" || args[0] === "help") return io.out(RUN_USAGE);
  const { spec: specPath, flags: rest } = specAndFlags(args, "sweep run");
  const flags = parse(rest, { out: { type: "string" }, workers: { type: "string" }, json: { type: "boolean" }, queue: { type: "string" }, detach: { type: "boolean" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(RUN_USAGE);
  const spec = loadSweepSpec(specPath);
  // Across machines: the queue's own path (src/commands/run-queue.ts).
  if (flags["queue"] !== undefined) return runOnQueue(spec, specPath, flags, io, options);
  if (flags["detach"]) throw new Error("--detach returns once the jobs are on a queue: it needs --queue redis://HOST:PORT");

  const workers = workersFlag(flags["workers"], spec.threadsPerJob);
  const out = sweepRootFlag(flags["out"], spec.name);
  const root = prepareOutputDirectory(out.path, out.label);
  const launcher = options.launcher ?? defaultLauncher();
  // One runner per sweep root: a second one would run the same jobs into the same folders.
  const lock = lockDirectory(root, { label: out.label, command: `unfold sweep run ${args.join(" ")}`.slice(0, 200), onReclaim: io.progress });
  try {
    await recordSweepSpec(root, spec, out.label);
    const jobs = expandSpec(spec);
    const earlier = new Map<string, ResultRecord>();
    for (const job of jobs) {
      const record = readJobResult(root, job.id);
      if (record) earlier.set(job.id, record);
    }
    // Done jobs are kept; a failed one runs again with a fresh budget of retries (the user may have fixed its cause).
    const toRun = jobs.filter((j) => earlier.get(j.id)?.status !== "done");
    const skipped = jobs.length - toRun.length;
    io.progress(`sweep ${spec.name}: ${jobs.length} jobs of unfold ${spec.command}${skipped ? ` (${skipped} already done in ${root})` : ""}, ${Math.min(workers, Math.max(1, toRun.length))} at a time; results in ${root}`);

    const progress = createSweepProgress(options.progressStream ?? process.stderr);
    const counts = { total: jobs.length, done: skipped, failed: 0, running: 0, skipped };
    const controller = new AbortController();
    const stopOn = (reason: unknown): void => {
      const running = counts.running;
      io.progress(`${String(reason)}: stopping; ${running} running job${running === 1 ? "" : "s"} sent SIGTERM (a trainer saves its checkpoint), no new job starts (a second ${String(reason)} quits at once)`);
      controller.abort(reason);
    };
    if (options.signal?.aborted) stopOn(options.signal.reason);
    options.signal?.addEventListener("abort", () => stopOn(options.signal!.reason), { once: true });

    const snapshot = (): SweepCounts => ({ ...counts });
    const onEvent = (event: PoolEvent): void => {
      if (event.kind === "started") {
        counts.running++;
        progress.update(snapshot());
      } else if (event.kind === "retrying") {
        counts.running--;
        progress.log(`${event.job.id}: attempt ${event.attempt} failed (${event.outcome.error ?? "no message"}); retrying${event.outcome.mode === "resume" || spec.command === "train" ? " (a trainer run resumes from its last checkpoint)" : ""}`);
      } else if (event.kind === "ended") {
        counts.running--;
        if (event.record.status === "done") counts.done++;
        else {
          counts.failed++;
          progress.log(`${event.job.id}: failed after ${event.record.attempts} attempt${event.record.attempts === 1 ? "" : "s"}: ${event.record.error ?? ""}`);
        }
        progress.update(snapshot(), true);
      } else {
        counts.running--;
        progress.log(`${event.job.id}: ${event.outcome.error ?? "stopped"}; it resumes on the next run`);
      }
    };
    const attemptsBefore = new Map([...earlier].map(([id, r]) => [id, r.attempts]));
    progress.update(snapshot());
    const pool = await runPool({ spec, jobs: toRun, sweepRoot: root, workers, launcher, signal: controller.signal, attemptsBefore, onEvent });
    progress.done();

    const records = jobs.flatMap((j) => {
      const r = readJobResult(root, j.id);
      return r ? [r] : [];
    });
    const written = await writeResults(root, spec, records);
    const interrupted = controller.signal.aborted;
    printResults(io, written, summaryOf(root, written, interrupted), flags["json"] === true);
    if (interrupted) {
      const reason = String(controller.signal.reason);
      io.progress(`${reason}: stopped with ${pool.unfinished.length} job${pool.unfinished.length === 1 ? "" : "s"} unfinished; run the same command again to resume them`);
      process.exitCode = reason in STOP_SIGNALS ? STOP_SIGNALS[reason as StopSignal] : STOP_SIGNALS.SIGINT;
    } else if (written.results.failed > 0) {
      throw new Error(`${written.results.failed} of ${jobs.length} jobs failed after their retries; their errors are in ${written.markdown}`);
    }
  } finally {
    lock.release();
  }
}
