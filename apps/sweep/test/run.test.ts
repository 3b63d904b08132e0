import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { captureIO } from "@unfold/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { JOB_FILES, type SweepSpecInput, jobDirectory, readJobResult, sweepMain } from "../src/index.js";
import type { SweepSummary } from "../src/commands/report.js";
import { TINY_TRAIN_BASE, launcher, quiet, tempDir, writeSpec } from "./helpers/sweep.js";

/**
 * `unfold sweep run` on this machine, called in process with jobs that run the real trainer
 * (each a child process): every job once, the table at the end, a rerun that skips what is done,
 * a poisoned job stopped after its retries, and a stop that the next run resumes.
 */

const scratch = tempDir();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// A stopped sweep sets the exit status 143; the test process must not end with it.
afterEach(() => void (process.exitCode = undefined));

const baseWithout = (...paths: string[]): Record<string, unknown> => {
  const base = structuredClone(TINY_TRAIN_BASE) as unknown as Record<string, Record<string, unknown>>;
  for (const path of paths) {
    const [section, key] = path.split(".");
    delete base[section!]![key!];
  }
  return base;
};

const run = async (args: string[], signal?: AbortSignal) => {
  const io = captureIO();
  await sweepMain(["run", ...args, "--json"], io, { launcher, progressStream: quiet, ...(signal ? { signal } : {}) });
  return { io, summary: JSON.parse(io.lines.at(-1)!) as SweepSummary };
};

/** How many attempts a job's output.log records (each starts with a "--- " header). */
const attemptsLogged = (root: string, id: string): number => readFileSync(join(jobDirectory(root, id), JOB_FILES.log), "utf8").split("\n").filter((l) => l.startsWith("--- ")).length;

describe("unfold sweep run", () => {
  it("runs each job exactly once with 2 workers, writes the table, and a rerun skips every done job", async () => {
    const spec: SweepSpecInput = {
      name: "grid",
      command: "train",
      base: baseWithout("train.learningRate", "model.layers"),
      axes: { lr: { path: "train.learningRate", values: [0.001, 0.01] }, layers: { path: "model.layers", values: [1, 2] } },
      seed: { path: "train.seed", first: 1 },
      metrics: ["testAccuracy", "energyByLayer.0"],
    };
    const path = writeSpec(scratch, spec, "grid.json");
    const out = join(scratch, "grid");
    const { io, summary } = await run([path, "--out", out, "--workers", "2"]);
    expect(summary).toMatchObject({ sweep: "grid", out, jobs: 4, done: 4, failed: 0, pending: 0, interrupted: false });
    expect(io.progressed[0]).toBe(`sweep grid: 4 jobs of unfold train, 2 at a time; results in ${out}`);
    for (const id of ["j0000", "j0001", "j0002", "j0003"]) expect(attemptsLogged(out, id)).toBe(1);
    const table = readFileSync(join(out, "results.md"), "utf8");
    expect(table).toContain("`unfold train`, 4 jobs: 4 done, 0 failed, 0 pending.");
    expect(table.split("\n").filter((l) => /^\| j000\d \| /.test(l)).map((l) => l.split(" | ").slice(1, 5).join(" "))).toEqual(["0.001 1 0 done", "0.001 2 0 done", "0.01 1 0 done", "0.01 2 0 done"]);
    // The printed table is the results' rows; the layer-2 jobs report their own energies.
    expect(io.lines.join("\n")).toContain("4 jobs: 4 done, 0 failed, 0 pending");
    expect(readJobResult(out, "j0001")!.metrics["energyByLayer.0"]).toEqual(expect.any(Number));

    const again = await run([path, "--out", out, "--workers", "2"]);
    expect(again.io.progressed[0]).toContain("(4 already done in");
    expect(again.summary).toMatchObject({ jobs: 4, done: 4 });
    for (const id of ["j0000", "j0001", "j0002", "j0003"]) expect(attemptsLogged(out, id)).toBe(1);
    expect(readFileSync(join(out, "results.md"), "utf8")).toBe(table);
  });

  it("a job that fails every time stops after its retries, with its error in the table; the others finish", async () => {
    const spec: SweepSpecInput = {
      name: "poisoned",
      command: "train",
      base: baseWithout("model.dim"),
      axes: { dim: { path: "model.dim", values: [8, -1] } },
      metrics: ["testAccuracy"],
      retries: 1,
    };
    const path = writeSpec(scratch, spec, "poisoned.json");
    const out = join(scratch, "poisoned");
    const io = captureIO();
    await expect(sweepMain(["run", path, "--out", out, "--workers", "2"], io, { launcher, progressStream: quiet })).rejects.toThrow(
      `1 of 2 jobs failed after their retries; their errors are in ${join(out, "results.md")}`,
    );
    const poisoned = readJobResult(out, "j0001")!;
    expect(poisoned).toMatchObject({ status: "failed", attempts: 2 });
    expect(poisoned.error).toMatch(/^exit 1: .*model\.dim/);
    expect(attemptsLogged(out, "j0001")).toBe(2);
    expect(readJobResult(out, "j0000")).toMatchObject({ status: "done", attempts: 1 });
    const row = readFileSync(join(out, "results.md"), "utf8").split("\n").find((l) => l.startsWith("| j0001 |"))!;
    expect(row).toContain("| -1 | 0 | failed | 2 |  | exit 1: ");
  });

  it("a stop (SIGTERM) reaches the running job, which saves; the sweep exits 143 with it pending, and the next run resumes it", async () => {
    const spec: SweepSpecInput = {
      name: "stopped",
      command: "train",
      // 64 digits in batches of 4, 10 epochs: 160 steps.
      base: { ...TINY_TRAIN_BASE, train: { epochs: 10, batchSize: 4, learningRate: 0.003, warmupSteps: 1 } },
      axes: { seed: { path: "train.seed", values: [3] } },
      metrics: ["testAccuracy"],
    };
    const path = writeSpec(scratch, spec, "stopped.json");
    const out = join(scratch, "stopped");
    const runDir = join(jobDirectory(out, "j0000"), JOB_FILES.run);
    const metrics = join(runDir, "metrics.jsonl");
    const controller = new AbortController();
    const first = run([path, "--out", out], controller.signal);
    let ended = false;
    void first.finally(() => (ended = true)).catch(() => undefined);
    while (!existsSync(metrics) || readFileSync(metrics, "utf8").split('"loss"').length < 4) {
      if (ended) throw new Error("the sweep ended before its job had trained 3 steps");
      await sleep(20);
    }
    controller.abort("SIGTERM");
    const stopped = await first;
    expect(process.exitCode).toBe(143);
    expect(stopped.summary).toMatchObject({ jobs: 1, done: 0, pending: 1, interrupted: true });
    expect(stopped.io.progressed.join("\n")).toContain("SIGTERM: stopped with 1 job unfinished; run the same command again to resume them");
    const saved = (JSON.parse(readFileSync(join(runDir, "checkpoint", "checkpoint.json"), "utf8")) as { step: number }).step;
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(160);
    process.exitCode = undefined;

    const resumed = await run([path, "--out", out]);
    expect(resumed.summary).toMatchObject({ done: 1, pending: 0, interrupted: false });
    expect(readJobResult(out, "j0000")).toMatchObject({ status: "done", resumedFromStep: saved, attempts: 1 });
  });
});
