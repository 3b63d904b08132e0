import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CommandIO, formatTable, integerListFlag, parse } from "@unfold/cli";
import { loadSweepSpec } from "../spec/load.js";
import type { SweepCommandOptions } from "./options.js";
import { specAndFlags } from "./options.js";
import type { SweepSummary } from "./report.js";
import { runCommand } from "./run.js";

export const TIMING_USAGE = `usage: unfold sweep timing SPEC.json [--workers LIST] [--json]
Runs the whole sweep once per worker count (default 1,2), each time from scratch in a temporary
folder that is removed afterwards, and prints the wall time of each against the first: how
much running jobs side by side gains on this machine. With single-threaded jobs on 2 cores, 2
workers should take at most 0.55 of 1 worker's time.
  --workers LIST  comma list of worker counts (default 1,2)
  --json          end with one JSON object on the last line`;

export interface WorkerTiming {
  readonly workers: number;
  readonly seconds: number;
  /** seconds over the first count's seconds. */
  readonly ratio: number;
  readonly jobs: number;
}

/** `unfold sweep timing`: the sweep's wall time by worker count. */
export async function timingCommand(args: string[], io: CommandIO, options: SweepCommandOptions = {}): Promise<void> {
  if (args[0] === "--help" || args[0] === "help") return io.out(TIMING_USAGE);
  const { spec: specPath, flags: rest } = specAndFlags(args, "sweep timing");
  const flags = parse(rest, { workers: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(TIMING_USAGE);
  const counts = integerListFlag("workers", flags["workers"], [1, 2]);
  const spec = loadSweepSpec(specPath);
  const timings: WorkerTiming[] = [];
  for (const workers of counts) {
    const out = mkdtempSync(join(tmpdir(), `unfold-sweep-timing-${spec.name}-`));
    try {
      const lines: string[] = [];
      const started = performance.now();
      // Each run's own progress line is left out: this command prints one line per run instead.
      await runCommand([specPath, "--out", out, "--workers", String(workers), "--json"], { out: (l) => void lines.push(l), progress: () => undefined }, { ...options, progressStream: { write: () => true } });
      const seconds = (performance.now() - started) / 1000;
      const summary = JSON.parse(lines.at(-1)!) as SweepSummary;
      if (summary.interrupted) throw new Error(`the sweep was stopped during the run with ${workers} worker(s)`);
      timings.push({ workers, seconds: Number(seconds.toFixed(3)), ratio: Number((seconds / (timings[0]?.seconds ?? seconds)).toFixed(3)), jobs: summary.jobs });
      io.progress(`${workers} worker${workers === 1 ? "" : "s"}: ${seconds.toFixed(1)} s for ${summary.jobs} jobs`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  io.out(formatTable(["workers", "seconds", "ratio to first", "jobs"], timings.map((t) => [t.workers, t.seconds.toFixed(1), t.ratio.toFixed(2), t.jobs])));
  if (flags["json"]) io.out(JSON.stringify({ sweep: spec.name, timings }));
}
