// `pnpm studio bench`: its flag errors (each naming the flag, refused before anything is built or
// started) and one short run end to end, built, served and measured in headless Chromium, whose
// JSON holds a finite number for every figure. The figures' speeds are reported, never asserted.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { refusalTable } from "@unfold/testing/refusals";
import { afterAll, describe, expect, inject, it } from "vitest";
import { studioBenchCommand } from "../src/bench-cli/command.js";
import type { BenchResult } from "../src/bench-cli/figures.js";
import { MAX_TIMED_STEPS, QUICK_RUN_STEPS, WARMUP_STEPS, parseBenchOptions } from "../src/bench-cli/options.js";
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
    [["--steps", String(MAX_TIMED_STEPS + 1)], [`--steps must be at most ${QUICK_RUN_STEPS}`, `${WARMUP_STEPS} of them untimed warm-up`, `got '${MAX_TIMED_STEPS + 1}' + '${WARMUP_STEPS}'`]],
    [["--warmup", "100", "--steps", String(QUICK_RUN_STEPS - 99)], [`--steps plus --warmup must be at most ${QUICK_RUN_STEPS}`, "100 of them untimed warm-up", `got '${QUICK_RUN_STEPS - 99}' + '100'`]],
    [["--warmup", "0"], ["--warmup must be an integer >= 1, got '0'"]],
    [["--warmup", "many"], ["--warmup must be an integer >= 1, got 'many'"]],
    [["--backends", "cpu,metal"], ["--backends: unknown value 'metal'; valid values: cpu, webgpu, onnx, tfjs"]],
    [["--backends", "onnx,ort-web"], ["--backends: unknown value 'ort-web'; valid values: cpu, webgpu, onnx, tfjs"]],
    [["--backends", ","], ["--backends needs a comma-separated list; valid values: cpu, webgpu, onnx, tfjs"]],
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

describe("pnpm studio bench's backends", () => {
  it("measures live descent on CPU and WebGPU and times training on all four by default", () => {
    const options = parseBenchOptions([]);
    expect(options.backends).toEqual(["cpu", "webgpu", "onnx", "tfjs"]);
    expect(options.liveBackends).toEqual(["cpu", "webgpu"]);
    expect(options.trainBackends).toEqual(["cpu", "webgpu", "onnx", "tfjs"]);
  });

  it("times training on the CPU backend only under --quick, whatever --backends names", () => {
    expect(parseBenchOptions(["--quick"]).trainBackends).toEqual(["cpu"]);
    expect(parseBenchOptions(["--quick", "--backends", "onnx,tfjs"]).trainBackends).toEqual([]);
  });

  it("takes --backends in any order, without repeats, and runs live descent only where the issue sets its target", () => {
    const options = parseBenchOptions(["--backends", "tfjs,onnx,cpu,onnx"]);
    expect(options.backends).toEqual(["cpu", "onnx", "tfjs"]);
    expect(options.liveBackends).toEqual(["cpu"]);
    expect(options.trainBackends).toEqual(["cpu", "onnx", "tfjs"]);
    expect(parseBenchOptions(["--backends", "onnx"]).liveBackends).toEqual([]);
  });

  it("warms up 10 steps unless --warmup says, and lets --warmup and --steps fill the quick run exactly", () => {
    expect(parseBenchOptions([]).warmup).toBe(WARMUP_STEPS);
    const options = parseBenchOptions(["--warmup", "100", "--steps", String(QUICK_RUN_STEPS - 100)]);
    expect([options.warmup, options.steps]).toEqual([100, QUICK_RUN_STEPS - 100]);
  });
});

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

describe.runIf(chromiumAvailable())("pnpm studio bench on onnxruntime and TensorFlow.js, end to end in headless Chromium", () => {
  it("times training in the page and in Node on both, onnxruntime in Node also on the page's one thread, and no live descent", () => {
    const run = studio(["bench", "--json", "--backends", "onnx,tfjs", "--warmup", "2", "--steps", "3", "--dist", inject("studioBuild")], 230_000);
    expect(run.timedOut).toBe(false);
    expect(run.stderr).not.toContain("building the app");
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    const result = JSON.parse(lines.at(-1)!) as BenchResult;
    expect(result.live).toEqual([]);
    expect(result.training.map((t) => t.page.backend)).toEqual(["onnx", "tfjs"]);
    const [onnx, tfjs] = result.training;
    expect(onnx!.page.engine).toMatch(/^onnxruntime-web \S+, wasm provider, 1 thread$/);
    expect(onnx!.trainer.engine).toMatch(/^onnxruntime-web \S+, wasm provider, \d+ threads? \(Node /);
    // The trainer runs onnxruntime on every core; where that is not the page's one thread, the
    // bench also trains on one thread, in a process of its own (onnxruntime fixes its threads per process).
    if (onnx!.trainer.threads !== 1) expect(onnx!.pageThreads?.engine).toMatch(/, 1 thread \(Node /);
    expect(tfjs!.page.engine).toBe("TensorFlow.js wasm engine");
    expect(tfjs!.trainer.engine).toMatch(/^TensorFlow\.js wasm engine \(Node /);
    expect(tfjs!.pageThreads).toBeUndefined();
    for (const { page, trainer, pageThreads } of result.training) {
      expect(page.steps).toBeGreaterThanOrEqual(3);
      for (const node of [trainer, ...(pageThreads ? [pageThreads] : [])]) {
        expect(node.steps).toBe(3);
        expect(Number.isFinite(node.stepsPerSecond) && node.stepsPerSecond > 0).toBe(true);
      }
      expect(Number.isFinite(page.stepsPerSecond) && page.stepsPerSecond > 0).toBe(true);
    }
    const names = result.figures.map((f) => `${f.name} | ${f.backend}`);
    expect(names).toEqual(expect.arrayContaining(["training, page / Node trainer | onnx", "training, page / Node trainer | tfjs"]));
    for (const f of result.figures) expect(Number.isFinite(f.value), `${f.name} (${f.backend}): ${f.value}`).toBe(true);
    expect(run.stdout).not.toContain("Live descent:");
    expect(run.stdout).toMatch(/steps per second over \d+ steps in the page and 3 in Node, after 2 untimed steps/);
    console.info(`studio bench --backends onnx,tfjs (figures not asserted):\n${lines.slice(0, -1).join("\n")}`);
  });
});
