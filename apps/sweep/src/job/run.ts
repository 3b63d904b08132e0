import { spawn } from "node:child_process";
import { closeSync, existsSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { LOCK_FILE, openAppendNoFollow, readLock, writeFileAtomic } from "@unfold/files";
import { COMMAND_RULES } from "../spec/commands.js";
import type { SweepJob } from "../spec/expand.js";
import type { SweepSpec } from "../spec/schema.js";
import { type StartMode, jobCommandLine } from "./command-line.js";
import { JOB_FILES, makeJobDirectory } from "./directory.js";
import type { Launcher } from "./launcher.js";
import { lastJsonLine, pickMetrics } from "./metrics.js";

/** How one attempt at a job ended. */
export type JobStatus = "done" | "failed" | "interrupted";

export interface JobOutcome {
  /** done: metrics collected; failed: the command failed or its output lacked a metric; interrupted: stopped by a signal (a trainer saved its checkpoint first). */
  readonly status: JobStatus;
  readonly metrics: Record<string, number>;
  readonly error?: string;
  /** The command's exit status; null when a signal ended it or it never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** How the attempt started. */
  readonly mode: StartMode;
  /** The checkpoint step this attempt resumed from, when it resumed one. */
  readonly resumedFromStep?: number;
}

export interface RunJobOptions {
  /** The sweep's results root: the job runs in <sweepRoot>/jobs/<id>. */
  readonly sweepRoot: string;
  readonly launcher: Launcher;
  /** Aborting sends SIGTERM to the command: the trainer stops after its step, saves a checkpoint and exits (status "interrupted"). */
  readonly signal?: AbortSignal;
  /** Each line the command prints (stdout and stderr), for a live view; everything also goes to the job's output.log. */
  readonly onLine?: (line: string) => void;
  /** The command's working directory (default: this process's). */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Remove a trainer lock in the job's run folder left by a process on another host. Only for a
   * runner that knows the earlier attempt is dead (a queue that handed the job on after its
   * worker stopped answering): a lock from another host cannot be checked from here.
   */
  readonly takeOverForeignLock?: boolean;
}

/** Exit statuses of a command stopped by SIGINT / SIGTERM after saving (the trainer's). */
const STOPPED_EXIT_CODES = new Set([130, 143]);

/** Most of stderr kept in memory for the error message; all of it is in output.log. */
const STDERR_TAIL = 64 * 1024;

/**
 * Runs one attempt at a job: makes its directory, starts the command as a child process with its
 * own --out inside that directory and --json, and collects the spec's metrics from the last
 * --json line. A trainer job whose directory already holds a checkpoint (an earlier attempt that
 * was stopped or killed) resumes it with --resume; one whose directory holds an attempt without a
 * checkpoint starts over it (--overwrite). Never throws for a failing command: the outcome says
 * what happened; it throws only when the job directory cannot be made or written.
 */
export async function runJob(spec: SweepSpec, job: SweepJob, options: RunJobOptions): Promise<JobOutcome> {
  const started = performance.now();
  const dir = makeJobDirectory(options.sweepRoot, job.id);
  const runDir = join(dir, JOB_FILES.run);
  const checkpointStep = COMMAND_RULES[spec.command].resumes ? savedCheckpointStep(runDir) : undefined;
  const mode: StartMode = checkpointStep !== undefined ? "resume" : COMMAND_RULES[spec.command].kind === "config" && existsSync(runDir) ? "overwrite" : "fresh";
  const resumed = checkpointStep !== undefined ? { resumedFromStep: checkpointStep } : {};
  const line = jobCommandLine(spec, job, dir, mode);
  if (line.config) await writeFileAtomic(join(dir, JOB_FILES.config), `${JSON.stringify(line.config, null, 2)}\n`);
  if (options.takeOverForeignLock) removeForeignLock(runDir);
  const ms = (): number => performance.now() - started;
  if (options.signal?.aborted) return { status: "interrupted", metrics: {}, error: "stopped before it started", exitCode: null, signal: null, durationMs: ms(), mode, ...resumed };

  const log = openAppendNoFollow(join(dir, JOB_FILES.log));
  const record = (text: string): void => void writeSync(log, text);
  record(`--- ${new Date().toISOString()} on ${hostname()}: unfold ${line.argv.join(" ")}${checkpointStep !== undefined ? ` (resuming step ${checkpointStep})` : ""}\n`);
  try {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; spawnError?: Error }>((resolve) => {
      const child = spawn(options.launcher.executable, [...options.launcher.args, ...line.argv], {
        cwd: options.cwd ?? process.cwd(),
        env: options.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: a Ctrl-C at the terminal reaches the runner alone, which then
        // sends the command one SIGTERM. Had the command seen the Ctrl-C too, that SIGTERM would
        // be its second signal, and a trainer quits at once on a second signal without saving.
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      const lines = (chunk: string, pending: { text: string }): void => {
        if (!options.onLine) return;
        pending.text += chunk;
        const parts = pending.text.split(/\r?\n|\r/);
        pending.text = parts.pop()!;
        for (const part of parts) if (part.trim() !== "") options.onLine(part);
      };
      const outPending = { text: "" };
      const errPending = { text: "" };
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        record(chunk);
        lines(chunk, outPending);
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL);
        record(chunk);
        lines(chunk, errPending);
      });
      const stop = (): void => void child.kill("SIGTERM");
      options.signal?.addEventListener("abort", stop, { once: true });
      let spawnError: Error | undefined;
      child.on("error", (error) => (spawnError = error));
      child.on("close", (code, signal) => {
        options.signal?.removeEventListener("abort", stop);
        resolve({ code, signal, stdout, stderr, ...(spawnError ? { spawnError } : {}) });
      });
    });
    const base = { exitCode: ended.code, signal: ended.signal, mode, ...resumed };
    if (ended.spawnError) return { ...base, status: "failed", metrics: {}, error: `cannot start ${options.launcher.describe}: ${ended.spawnError.message}`, durationMs: ms() };
    const json = lastJsonLine(ended.stdout);
    const stopped = json?.["interrupted"] === true || (ended.code !== null && STOPPED_EXIT_CODES.has(ended.code)) || ended.signal === "SIGTERM" || ended.signal === "SIGINT";
    if (ended.code === 0 && !stopped) {
      if (json === undefined) return { ...base, status: "failed", metrics: {}, error: "the command printed no --json line", durationMs: ms() };
      try {
        return { ...base, status: "done", metrics: pickMetrics(json, spec.metrics), durationMs: ms() };
      } catch (error) {
        return { ...base, status: "failed", metrics: {}, error: (error as Error).message, durationMs: ms() };
      }
    }
    if (stopped && (options.signal?.aborted || json?.["interrupted"] === true)) {
      const step = typeof json?.["step"] === "number" ? ` at step ${String(json["step"])}` : "";
      return { ...base, status: "interrupted", metrics: {}, error: `stopped (${ended.signal ?? `exit ${ended.code}`})${step}`, durationMs: ms() };
    }
    return { ...base, status: "failed", metrics: {}, error: failureMessage(ended.code, ended.signal, ended.stderr), durationMs: ms() };
  } finally {
    closeSync(log);
  }
}

/** The step of the checkpoint in a trainer run folder, or undefined when it holds none that can be read. */
function savedCheckpointStep(runDir: string): number | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(runDir, "checkpoint", "checkpoint.json"), "utf8")) as { step?: unknown };
    return typeof manifest.step === "number" && Number.isSafeInteger(manifest.step) && manifest.step >= 0 ? manifest.step : undefined;
  } catch {
    return undefined;
  }
}

function removeForeignLock(runDir: string): void {
  const owner = readLock(runDir);
  if (owner !== undefined && owner.host !== hostname()) rmSync(join(runDir, LOCK_FILE), { force: true });
}

/** "exit 1: <the command's error line>", or the signal that ended it. */
function failureMessage(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const how = signal ? `killed by ${signal}` : `exit ${code}`;
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const error = [...lines].reverse().find((l) => l.startsWith("error: ")) ?? lines.at(-1);
  return error ? `${how}: ${error.replace(/^error: /, "")}` : how;
}
