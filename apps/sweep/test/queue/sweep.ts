import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningCommand, startCommand } from "@unfold/testing";
import { onTestFinished } from "vitest";
import { tempDir } from "../helpers/sweep.js";
import { runCommand } from "../../src/commands/run.js";
import type { SweepSummary } from "../../src/commands/report.js";
import { type ResultRecord, readJobResult } from "../../src/job/result.js";
import { validateSweepSpec } from "../../src/spec/load.js";
import type { SweepSpec, SweepSpecInput } from "../../src/spec/schema.js";

/** The sweep CLI's source entry point: workers run as real processes, as on another machine. */
export const SWEEP_BIN = fileURLToPath(new URL("../../src/bin/sweep.ts", import.meta.url));

/**
 * A `hessian scaling` sweep at its smallest (d_model 4, one seed, one sample, a few points): the
 * cheapest real command a job can run, a few seconds each, its slopes fixed by the seed.
 */
export function hessianSpec(name: string, axes: SweepSpecInput["axes"], extra: Partial<SweepSpecInput> = {}): SweepSpec {
  const base: Record<string, unknown> = { seeds: 1, samples: 1, "d-model": 4, points: 4 };
  // The spec refuses a base value an axis sets.
  for (const axis of Object.values(axes)) delete base[axis.flag!];
  return validateSweepSpec({ name, command: "hessian scaling", base, axes, metrics: ["slopes.Q_outer", "slopes.V_outer"], ...extra }, "test spec");
}

/** A scratch folder for one test, removed when the test has finished (its workers are stopped by then). */
export function scratchDir(): string {
  const dir = tempDir("unfold-sweep-queue-");
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a `sweep worker` process and waits until it takes jobs. */
export async function startWorker(url: string, root: string, flags: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningCommand> {
  const worker = startCommand(SWEEP_BIN, ["worker", "--queue", url, "--out", root, "--concurrency", "1", ...flags], { env, timeoutMs: 600_000 });
  await worker.waitFor(/waiting for jobs/);
  return worker;
}

/** SIGTERM to a worker, then its exit. */
export async function stopWorker(worker: RunningCommand): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGTERM");
  await worker.exited;
}

/** `sweep run SPEC --queue URL --out DIR --json` in this process: the follower. Resolves to its summary, its output lines and its progress (messages and the progress stream). */
export async function followOnQueue(specPath: string, url: string, out: string, extra: readonly string[] = []): Promise<{ summary: SweepSummary & { overhead?: unknown }; lines: string[]; progressed: string[] }> {
  const lines: string[] = [];
  const progressed: string[] = [];
  // The progress line's stream (counts, and the lines logged above it) lands in `progressed` too.
  const stream = { write: (text: string) => (progressed.push(text.trimEnd()), true), isTTY: false };
  await runCommand([specPath, "--queue", url, "--out", out, "--json", ...extra], { out: (l) => void lines.push(l), progress: (m) => void progressed.push(m) }, { progressStream: stream });
  return { summary: JSON.parse(lines.at(-1)!) as SweepSummary, lines, progressed };
}

/** How many attempts a job's directory shows: each attempt appends one header line to its output.log. */
export function attemptsLogged(sweepRoot: string, id: string): number {
  const log = join(sweepRoot, "jobs", id, "output.log");
  if (!existsSync(log)) return 0;
  return readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("--- ")).length;
}

/** The job ids with a directory under the sweep root. */
export const jobDirs = (sweepRoot: string): string[] => (existsSync(join(sweepRoot, "jobs")) ? readdirSync(join(sweepRoot, "jobs")).sort() : []);

/** Every job's result record, by id (throws for a missing one). */
export function results(sweepRoot: string, ids: readonly string[]): ResultRecord[] {
  return ids.map((id) => {
    const r = readJobResult(sweepRoot, id);
    if (!r) throw new Error(`job ${id} has no result in ${sweepRoot}`);
    return r;
  });
}

/** Polls `check` every 100 ms until it returns a value (not undefined), for at most `ms`. */
export async function waitUntil<T>(what: string, check: () => T | undefined, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
