import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BenchPlan, BenchRow, Engine, Problem, WorkCount } from "../src/index.js";
import { referenceEngine, referenceOutputs } from "../src/index.js";
import { scalingCommand } from "../src/commands/scaling.js";
import { scalingCharts } from "../src/scaling/chart.js";
import { type Measure, type ScalingFit, type ScalingPoint, type ScalingResult, fitScaling, logLogFit, sweepPoints } from "../src/scaling/study.js";
import { captureIO } from "@unfold/testing";

/** Tiny shapes: the float64 reference and every engine take milliseconds. */
const TINY_GRID = ["--tokens-grid", "4,8", "--dim-grid", "4,8", "--fixed-tokens", "4", "--fixed-dim", "4", "--layers", "1", "--repeats", "2", "--warmup", "0"];

/** An engine that does no work: its check returns the reference's own outputs (relErr 0). */
function fakeEngine(name: string): Engine {
  return {
    name,
    peer: false,
    describe: () => `${name}: a test engine`,
    prepare: async (problem: Problem) => ({
      check: async () => referenceOutputs(problem),
      step: async () => {},
      dispose: async () => {},
    }),
  };
}

const named = (...names: string[]) => (): Engine[] => names.map(fakeEngine);

/** A stand-in for runBench whose medians are exactly `time(engine, tokens, dim)` and whose counted work is tokens^2 d. */
function exactMeasure(time: (engine: string, tokens: number, dim: number) => number | null, calls: BenchPlan[] = []): Measure {
  return async (plan) => {
    calls.push(plan);
    const rows: BenchRow[] = [];
    const work: WorkCount[] = [];
    for (const size of plan.sizes) {
      work.push({ workload: "unfold-forward", size: size.name, flops: size.tokens ** 2 * size.dim });
      for (const engine of plan.engines) {
        const ms = time(engine.name, size.tokens, size.dim);
        const timed = { medianMs: ms, minMs: ms, maxMs: ms, madMs: ms === null ? null : 0, runs: ms === null ? 0 : plan.repeats };
        const row = { workload: "unfold-forward", size: size.name, engine: engine.name, ...timed, gflops: null, relErr: null, ratioVsBestPeer: null, heapMB: null, poolMB: null };
        // Cast: runner.ts's rows gain columns the study never reads; this fake need not follow each one.
        rows.push({ ...row, ...(ms === null ? { note: "failed: test" } : {}) } as BenchRow);
      }
    }
    return { rows, work };
  };
}

async function json(argv: string[], options: Parameters<typeof scalingCommand>[2]): Promise<{ points: ScalingPoint[]; fits: ScalingFit[] }> {
  const io = captureIO();
  await scalingCommand([...argv, "--json"], io, options);
  return JSON.parse(io.lines.at(-1)!) as { points: ScalingPoint[]; fits: ScalingFit[] };
}

const fitOf = (fits: readonly ScalingFit[], engine: string, axis: string): ScalingFit => fits.find((f) => f.engine === engine && f.axis === axis)!;

describe("the scaling fit", () => {
  it("gives exactly the exponents of exact power laws, and the counted FLOPs' own", async () => {
    // time = c tokens^2 d for "quadratic", c' tokens d^2 for "wide": both axes, both exponents.
    const measure = exactMeasure((engine, t, d) => (engine === "quadratic" ? 0.003 * t ** 2 * d : 0.7 * t * d ** 2));
    const { fits } = await json(["--tokens-grid", "16,32,64,128", "--dim-grid", "8,16,32"], { engines: named("quadratic", "wide"), measure });
    expect(fitOf(fits, "quadratic", "tokens").exponent).toBeCloseTo(2, 6);
    expect(fitOf(fits, "quadratic", "dim").exponent).toBeCloseTo(1, 6);
    expect(fitOf(fits, "wide", "tokens").exponent).toBeCloseTo(1, 6);
    expect(fitOf(fits, "wide", "dim").exponent).toBeCloseTo(2, 6);
    for (const f of fits) {
      expect(f.flopExponent).toBeCloseTo(f.axis === "tokens" ? 2 : 1, 6);
      expect(f.points).toBe(f.axis === "tokens" ? 4 : 3);
    }
  });

  it("fits an engine on the points it ran, and gives none a slope it cannot have", () => {
    const { points: sweep } = sweepPoints({ tokens: [8, 16, 32], dims: [4, 8], fixedDim: 4, fixedTokens: 8, batch: 1, layers: 1 });
    const points: ScalingPoint[] = sweep.flatMap(({ axis, value, size }) =>
      ["flaky", "broken"].map((engine) => {
        // flaky fails at 32 tokens; broken everywhere.
        const ms = engine === "broken" || size.tokens === 32 ? null : size.tokens ** 2;
        return { engine, axis, value, size: size.name, batch: 1, tokens: size.tokens, dim: size.dim, layers: 1, medianMs: ms, madMs: null, runs: ms === null ? 0 : 1, relErr: null, flops: size.tokens ** 3 };
      }),
    );
    const fits = fitScaling(points);
    expect(fitOf(fits, "flaky", "tokens")).toEqual({ engine: "flaky", axis: "tokens", exponent: expect.closeTo(2, 9), flopExponent: expect.closeTo(3, 9), standardError: null, points: 2 });
    // Along d the tokens stay at 8 and so does the time: a slope of 0.
    expect(fitOf(fits, "flaky", "dim").exponent).toBeCloseTo(0, 9);
    expect(fitOf(fits, "broken", "tokens")).toMatchObject({ exponent: null, points: 0 });
    // A chart draws the engines that ran, not the one that never did.
    const result: ScalingResult = { grid: { tokens: [8, 16, 32], dims: [4, 8], fixedDim: 4, fixedTokens: 8, batch: 1, layers: 1 }, engines: ["flaky", "broken"], points, fits };
    const charts = scalingCharts(result);
    expect(charts.map((c) => c.name)).toEqual(["scaling-tokens.svg", "scaling-dim.svg"]);
    expect(charts[0]!.svg).toContain("flaky: slope 2.00");
    expect(charts[0]!.svg).toContain("counted FLOPs: slope 3.00");
    expect(charts[0]!.svg).not.toContain("broken");
  });

  it("gives a standard error that is 0 for an exact power law and grows with scatter, and leaves out wrong results", () => {
    const xs = [64, 128, 256, 512];
    expect(logLogFit(xs, xs.map((x) => 3 * x ** 1.5))).toEqual({ slope: expect.closeTo(1.5, 12), standardError: expect.closeTo(0, 12) });
    // log y = 1.5 log x + e with e = +-0.1 alternating: the slope moves little, its error is about 0.1.
    const noisy = logLogFit(xs, xs.map((x, i) => x ** 1.5 * Math.exp(i % 2 ? 0.1 : -0.1)));
    expect(noisy!.standardError).toBeGreaterThan(0.05);
    expect(noisy!.standardError).toBeLessThan(0.2);
    const { points: sweep } = sweepPoints({ tokens: [8, 16, 32], dims: [4, 8], fixedDim: 4, fixedTokens: 8, batch: 1, layers: 1 });
    const points: ScalingPoint[] = sweep.map(({ axis, value, size }) => ({
      engine: "wrong-at-32",
      axis,
      value,
      size: size.name,
      batch: 1,
      tokens: size.tokens,
      dim: size.dim,
      layers: 1,
      // Fast at 32 tokens, but wrong there: a fit that kept it would not find the exponent 2.
      medianMs: size.tokens === 32 ? 1 : size.tokens ** 2,
      madMs: null,
      runs: 1,
      relErr: size.tokens === 32 ? 0.5 : 1e-7,
      flops: size.tokens ** 2,
    }));
    expect(fitOf(fitScaling(points, 1e-3), "wrong-at-32", "tokens")).toMatchObject({ exponent: expect.closeTo(2, 9), points: 2 });
    expect(fitOf(fitScaling(points), "wrong-at-32", "tokens").points).toBe(3);
  });

  it("runs the crossing of the two sweeps once", () => {
    const { points, sizes } = sweepPoints({ tokens: [4, 8], dims: [4, 8], fixedDim: 4, fixedTokens: 8, batch: 1, layers: 1 });
    expect(points).toHaveLength(4);
    expect(sizes.map((s) => [s.tokens, s.dim])).toEqual([[4, 4], [8, 4], [8, 8]]);
  });
});

describe("pnpm bench scaling", () => {
  it("runs the grid through runBench and prints {points, fits} on its last line", async () => {
    const { points, fits } = await json([...TINY_GRID, "--engine", "unfold-reference,fake"], { engines: () => [referenceEngine(), fakeEngine("fake")] });
    expect(points).toHaveLength(2 * 2 * 2);
    for (const p of points) {
      expect(Object.keys(p).filter((k) => k !== "note")).toEqual(["engine", "axis", "value", "size", "batch", "tokens", "dim", "layers", "medianMs", "madMs", "runs", "relErr", "flops"]);
      expect(p.value).toBe(p.axis === "tokens" ? p.tokens : p.dim);
      expect(p.axis === "tokens" ? p.dim : p.tokens).toBe(4);
      expect(p.medianMs).toBeGreaterThanOrEqual(0);
      // The fake hands back the reference itself; the reference engine recomputes it in float64.
      expect(p.relErr).toBeLessThan(1e-12);
      expect(p.flops).toBeGreaterThan(0);
    }
    // Named, the reference is timed (once: its check run is its timing).
    expect(points.find((p) => p.engine === "unfold-reference")!.runs).toBe(1);
    expect(fits.map((f) => `${f.engine}/${f.axis}`)).toEqual(["unfold-reference/tokens", "unfold-reference/dim", "fake/tokens", "fake/dim"]);
    for (const f of fits) {
      expect(Object.keys(f)).toEqual(["engine", "axis", "exponent", "flopExponent", "standardError", "points"]);
      // More tokens or a wider d is more work.
      expect(f.flopExponent).toBeGreaterThan(0.5);
    }
    expect(fitOf(fits, "unfold-reference", "tokens").exponent).toEqual(expect.any(Number));
  });

  it("writes both charts and scaling.md with --out, each engine named in both", async () => {
    const out = await mkdtemp(join(tmpdir(), "bench-scaling-"));
    try {
      const io = captureIO();
      const measure = exactMeasure((engine, t, d) => (engine === "alpha" ? t * t * d : 2 * t * d));
      await scalingCommand(["--tokens-grid", "8,16,32", "--dim-grid", "4,8", "--out", out], io, { engines: named("alpha", "beta"), measure });
      for (const name of ["scaling-tokens.svg", "scaling-dim.svg"]) {
        const svg = await readFile(join(out, name), "utf8");
        expect(svg.startsWith("<svg")).toBe(true);
        expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
        expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
        for (const engine of ["alpha", "beta", "counted FLOPs"]) expect(svg).toContain(engine);
        // The guide is dashed; the engines' lines are not.
        expect(svg).toMatch(/stroke-dasharray="6 4"/);
      }
      expect(await readFile(join(out, "scaling-tokens.svg"), "utf8")).toContain("alpha: slope 2.00");
      const md = await readFile(join(out, "scaling.md"), "utf8");
      expect(md).toContain("| alpha | tokens | 2.00 | 0.00 | 2.00 | 3 |");
      expect(md).toContain("| beta | dim | 1.00 | - | 1.00 | 2 |");
      expect(md).toContain("![scaling-dim.svg](scaling-dim.svg)");
      expect(io.progressed.filter((m) => m.startsWith("[scaling] wrote"))).toHaveLength(3);
      // Without --json: the tables for a person.
      expect(io.lines.join("\n")).toMatch(/alpha\s+tokens\s+2\.00\s+0\.00\s+2\.00\s+3/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("times pnpm bench's fast engines by default, any of them when named", async () => {
    const calls: BenchPlan[] = [];
    const measure = exactMeasure(() => 1, calls);
    const engines = named("unfold-reference", "unfold-cpu", "tfjs-cpu", "tfjs-wasm", "ort-wasm");
    await json(["--quick"], { engines, measure });
    await json(["--quick", "--engine", "tfjs-cpu"], { engines, measure });
    expect(calls.map((c) => c.engines.map((e) => e.name))).toEqual([["unfold-cpu", "tfjs-wasm", "ort-wasm"], ["tfjs-cpu"]]);
    expect(calls.every((c) => c.skipReference && c.workloads.join() === "unfold-forward")).toBe(true);
  });

  it("rejects a bad grid or flag by name before anything runs", async () => {
    const measure: Measure = () => Promise.reject(new Error("must not run"));
    const run = (argv: string[]): Promise<void> => scalingCommand(argv, captureIO(), { engines: named("a"), measure });
    await expect(run(["--tokens-grid", "8,1.5"])).rejects.toThrow(/^--tokens-grid must be an integer >= 1, got '1\.5'/);
    await expect(run(["--dim-grid", "8,x"])).rejects.toThrow(/^--dim-grid must be an integer/);
    await expect(run(["--dim-grid", "0,8"])).rejects.toThrow(/^--dim-grid must be an integer >= 1/);
    await expect(run(["--tokens-grid", "64"])).rejects.toThrow(/^--tokens-grid needs at least 2 distinct values/);
    await expect(run(["--dim-grid", "16,16"])).rejects.toThrow(/^--dim-grid needs at least 2 distinct values/);
    await expect(run(["--batch", "0"])).rejects.toThrow(/^--batch must be an integer >= 1/);
    await expect(run(["--engine", "nope"])).rejects.toThrow(/^--engine: unknown value 'nope'/);
    await expect(run(["--bogus"])).rejects.toThrow(/bogus/);
  });

  it("--help prints the usage", async () => {
    const io = captureIO();
    await scalingCommand(["--help"], io);
    expect(io.lines.join("\n")).toMatch(/^usage: unfold bench scaling/);
    expect(io.lines.join("\n")).toContain("--tokens-grid LIST");
  });
});
