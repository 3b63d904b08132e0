// `pnpm studio bench`: its flag errors (each naming the flag, refused before anything is built or
// started) and one short run end to end, built, served and measured in headless Chromium, whose
// JSON holds a finite number for every figure. The figures' speeds are reported, never asserted.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { refusalTable } from "@unfold/testing/refusals";
import { afterAll, describe, expect, it } from "vitest";
import { studioBenchCommand } from "../src/bench-cli/command.js";
import type { BenchResult } from "../src/bench-cli/figures.js";
import { MAX_TIMED_STEPS } from "../src/bench-cli/options.js";
import { chromiumAvailable } from "./chromium.js";

const BIN = fileURLToPath(new URL("../bin/studio.mjs", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "unfold-studio-bench-flags-"));
const noIndex = join(scratch, "no-index");
const aFile = join(scratch, "a-file");
mkdirSync(noIndex);
writeFileSync(aFile, "not a build\n");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `node bin/studio.mjs ...args` as `pnpm studio` runs it. */
function studio(args: readonly string[], timeout: number): { status: number | null; stdout: string; stderr: string; timedOut: boolean } {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout, env: { ...process.env, NODE_OPTIONS: "" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, timedOut: run.error !== undefined && (run.error as NodeJS.ErrnoException).code === "ETIMEDOUT" };
}

refusalTable(
  "studio bench",
  [
    [["--frames", "0"], ["--frames must be an integer >= 1, got '0'"]],
    [["--frames", "ten"], ["--frames must be an integer >= 1, got 'ten'"]],
    [["--frames"], ["--frames needs a value"]],
    [["--runs", "1.5"], ["--runs must be an integer >= 1, got '1.5'"]],
    [["--steps", "0"], ["--steps must be an integer >= 1, got '0'"]],
    [["--steps", String(MAX_TIMED_STEPS + 1)], [`--steps must be at most ${MAX_TIMED_STEPS}`, "warm-up", `got '${MAX_TIMED_STEPS + 1}'`]],
    [["--backends", "cpu,metal"], ["--backends: unknown value 'metal'; valid values: cpu, webgpu"]],
    [["--backends", ","], ["--backends needs a comma-separated list; valid values: cpu, webgpu"]],
    [["--dist", join(scratch, "missing")], ["--dist: no folder", "missing", "pnpm studio build"]],
    [["--dist", aFile], ["--dist:", aFile, "is a file, not a folder"]],
    [["--dist", noIndex], ["--dist:", noIndex, "has no index.html"]],
    [["--dist", ""], ["--dist needs a folder"]],
    [["--out", scratch], ["--out:", scratch, "is a directory"]],
    [["--out", "/proc/unfold-studio-bench/result.json"], ["--out: cannot create directory '/proc/unfold-studio-bench'"]],
    [["--quick", "--quick"], ["--quick is given more than once"]],
    [["--json", "yes"], ["unexpected argument 'yes'"]],
    [["--fps", "30"], ["unknown flag --fps", "valid flags:", "--frames", "--backends"]],
  ],
  (args, io) => studioBenchCommand(args, io),
  scratch,
);

describe("pnpm studio bench, as a command", () => {
  it("prints its usage with --help and exits 0", () => {
    const run = studio(["bench", "--help"], 120_000);
    expect(run.timedOut).toBe(false);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: pnpm studio bench \[--quick\] \[--json\]/);
    expect(run.stdout).toContain("--backends LIST");
    expect(run.stderr).toBe("");
  });

  it("names a bad flag in one line on stderr and exits 1, nothing on stdout", () => {
    const run = studio(["bench", "--frames", "0"], 120_000);
    expect(run.timedOut).toBe(false);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("error: --frames must be an integer >= 1, got '0'\n");
    expect(run.stdout).toBe("");
  });
});

describe.runIf(chromiumAvailable())("pnpm studio bench --quick, end to end in headless Chromium", () => {
  it("builds, serves and measures the app: a table, then one JSON line with every figure a finite number, also written by --out", () => {
    const out = join(scratch, "result", "bench.json");
    // Fewer frames and steps than --quick's own: the test checks the plumbing, not the speeds.
    const run = studio(["bench", "--quick", "--json", "--frames", "20", "--runs", "2", "--steps", "5", "--out", out], 230_000);
    expect(run.timedOut).toBe(false);
    expect(run.stderr).toContain("[studio bench] building the app");
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    const result = JSON.parse(lines.at(-1)!) as BenchResult;
    expect(readFileSync(out, "utf8")).toBe(`${lines.at(-1)}\n`);
    expect(lines[0]).toMatch(/^figure\s+backend\s+value\s+range\s+target/);

    const names = result.figures.map((f) => `${f.name} | ${f.backend}`);
    // --quick times training on the CPU backend only; live descent runs on both.
    expect(names).toEqual(expect.arrayContaining(["live descent | cpu", "live descent | webgpu", "live descent, compute per layer | webgpu", "training in the page | cpu", "training in the Node trainer | cpu", "training, page / Node trainer | cpu"]));
    expect(names.filter((n) => n.startsWith("training") && n.endsWith("webgpu"))).toEqual([]);
    for (const f of result.figures) {
      for (const value of [f.value, f.min ?? 0, f.max ?? 0, f.target ?? 0]) expect(Number.isFinite(value), `${f.name} (${f.backend}): ${value}`).toBe(true);
      if (f.target !== undefined) expect(f.met).toBe(f.value >= f.target);
      expect(f.engine).not.toBe("");
    }
    for (const live of result.live) expect(live.runs).toHaveLength(2);
    for (const { page, trainer } of result.training) {
      expect(page.steps).toBeGreaterThanOrEqual(5);
      expect(trainer.steps).toBe(5);
      expect(page.engine).toMatch(/^WebAssembly/);
      expect(trainer.engine).toMatch(/^WebAssembly/);
    }
    expect(result.machine.browser).toMatch(/^Chromium \d+/);
    expect(result.machine.gpuAdapter).not.toBe("");
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.training).toHaveLength(1);
    const table = lines.slice(0, -1).join("\n");
    for (const f of result.figures) expect(table).toContain(f.name);
    console.info(`studio bench --quick (figures not asserted):\n${table}`);
  });
});
