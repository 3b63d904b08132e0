import { basename, join } from "node:path";
import { enableRelaxedSimd } from "@unfold/backend-cpu/node";
import { type CommandIO, formatAlignedTable, integerFlag, integerListFlag, listFlag, parse } from "@unfold/cli";
import { prepareOutputDirectory } from "@unfold/files";
import type { Engine } from "../engines/engine.js";
import { writeCharts } from "../report/charts.js";
import { writeOutputFile } from "../report/output.js";
import { formatMs } from "../report/markdown.js";
import { REFERENCE_ENGINE } from "../runner.js";
import { formatExponent, scalingCharts, scalingMarkdown } from "../scaling/chart.js";
import { FULL_GRID, type Measure, QUICK_GRID, type ScalingGrid, type ScalingResult, checkGrid, runScaling } from "../scaling/study.js";
import { compileWasmOptimized } from "../wasm-tiering.js";
import { defaultEngines } from "./bench.js";

/**
 * The fast float32 engines: the study wants the shape of each curve, and the float64 reference
 * (seconds a forward at the largest shapes) would add minutes and teach nothing about scaling.
 */
export const SCALING_ENGINES = ["unfold-cpu", "ort-wasm", "tfjs-wasm", "jax-js"] as const;
export const SCALING_REPEATS = 5;
export const SCALING_WARMUP = 1;
/** Few runs: the quick grid is for CI, and its exponents come from 3 points anyway. */
export const QUICK_SCALING_REPEATS = 3;
/** The check run before the timed ones warms every engine up. */
export const QUICK_SCALING_WARMUP = 0;
const BUDGET_MS = 30_000;

const list = (values: readonly number[]): string => values.join(",");

const usage = (): string => `usage: unfold bench scaling [--quick] [--json] [--engine LIST] [--tokens-grid LIST] [--dim-grid LIST]
                            [--fixed-tokens N] [--fixed-dim N] [--batch N] [--layers N]
                            [--repeats N] [--warmup N] [--out DIR] [--no-relaxed-simd]
  Times the unfold-forward workload against the number of tokens (at a fixed width d) and
  against d (at a fixed number of tokens), and fits per engine and axis the exponent p of
  time ~ value^p by least squares in log-log, beside the same fit of the counted FLOPs.
  --quick             a small grid, ${QUICK_SCALING_REPEATS} timed runs, no warm-up beyond the check run (CI)
  --engine LIST       comma list of engines (default: ${SCALING_ENGINES.join(", ")})
  --tokens-grid LIST  tokens of the tokens sweep (default ${list(FULL_GRID.tokens)}; --quick ${list(QUICK_GRID.tokens)})
  --dim-grid LIST     widths of the dim sweep (default ${list(FULL_GRID.dims)}; --quick ${list(QUICK_GRID.dims)})
  --fixed-dim N       the width of the tokens sweep (default ${FULL_GRID.fixedDim})
  --fixed-tokens N    the tokens of the dim sweep (default ${FULL_GRID.fixedTokens})
  --batch N           sequences per forward (default ${FULL_GRID.batch})
  --layers N          unfolded layers (default ${FULL_GRID.layers})
  --repeats N         timed runs per point (default ${SCALING_REPEATS})
  --warmup N          untimed runs before them (default ${SCALING_WARMUP})
  --out DIR           also write DIR/scaling-tokens.svg, DIR/scaling-dim.svg and DIR/scaling.md
  --json              print {"points": [...], "fits": [...]} as one JSON object on the last line
  Every shape is checked once against the float64 reference (core interpret), as in unfold bench.`;

export interface ScalingCommandOptions {
  /** The engines to choose from, in report order (default: pnpm bench's). */
  readonly engines?: () => Engine[];
  /** Replaces runBench (tests inject exact timings). */
  readonly measure?: Measure;
}

/** `pnpm bench scaling`: the fitted exponents, or with --json one JSON object on the last line. */
export async function scalingCommand(argv: string[], io: CommandIO, options: ScalingCommandOptions = {}): Promise<void> {
  const flags = parse(argv, {
    quick: { type: "boolean" },
    json: { type: "boolean" },
    engine: { type: "string" },
    "tokens-grid": { type: "string" },
    "dim-grid": { type: "string" },
    "fixed-tokens": { type: "string" },
    "fixed-dim": { type: "string" },
    batch: { type: "string" },
    layers: { type: "string" },
    repeats: { type: "string" },
    warmup: { type: "string" },
    out: { type: "string" },
    "no-relaxed-simd": { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(usage());
  const quick = flags["quick"] === true;
  // Every flag is read before anything loads, so a typo fails at once.
  const grid = gridFlags(flags, quick ? QUICK_GRID : FULL_GRID);
  const repeats = integerFlag("repeats", flags["repeats"], quick ? QUICK_SCALING_REPEATS : SCALING_REPEATS);
  const warmup = integerFlag("warmup", flags["warmup"], quick ? QUICK_SCALING_WARMUP : SCALING_WARMUP, 0);
  if (flags["out"] === "") throw new Error("--out needs a path");
  const allEngines = (options.engines ?? defaultEngines)();
  const named = listFlag("engine", flags["engine"], allEngines.map((e) => e.name));
  const engines = named ? allEngines.filter((e) => named.includes(e.name)) : defaultSelection(allEngines);
  // Made and proved writable now: an impossible folder fails before the study, not after it.
  const outDir = typeof flags["out"] === "string" ? prepareOutputDirectory(flags["out"], "--out") : undefined;
  // Before any engine compiles WebAssembly: V8 reads these flags at compile time (see pnpm bench).
  compileWasmOptimized();
  if (flags["no-relaxed-simd"] !== true) enableRelaxedSimd();

  const started = performance.now();
  const result = await runScaling({
    grid,
    engines,
    repeats,
    warmup,
    budgetMs: BUDGET_MS,
    // Named explicitly, the reference is timed like the others; by default it is not an engine here.
    timeReference: named?.includes(REFERENCE_ENGINE) ?? false,
    onProgress: (m) => io.progress(`[scaling] ${m}`),
    ...(options.measure ? { measure: options.measure } : {}),
  });
  io.progress(`[scaling] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (outDir !== undefined) {
    for (const path of await writeReport(outDir, result, repeats, engines)) io.progress(`[scaling] wrote ${path}`);
  }
  if (flags["json"]) {
    io.out(JSON.stringify({ points: result.points, fits: result.fits }));
    return;
  }
  io.out(formatResult(result));
}

/** The default engines present in `all`; all of them when none is (tests inject their own). */
function defaultSelection(all: readonly Engine[]): Engine[] {
  const fast = all.filter((e) => (SCALING_ENGINES as readonly string[]).includes(e.name));
  return fast.length > 0 ? fast : [...all];
}

/** The grid of the flags, the ones not given from `base`; errors name the flag. */
function gridFlags(flags: Record<string, string | boolean | undefined>, base: ScalingGrid): ScalingGrid {
  const sweep = (flag: string, fallback: readonly number[]): number[] => {
    // Sorted and without repeats: the chart's lines run left to right, and a repeat adds no slope.
    const values = [...new Set(integerListFlag(flag, flags[flag], fallback))].sort((a, b) => a - b);
    if (values.length < 2) throw new Error(`--${flag} needs at least 2 distinct values to fit a slope, got '${String(flags[flag])}'`);
    return values;
  };
  const grid: ScalingGrid = {
    tokens: sweep("tokens-grid", base.tokens),
    dims: sweep("dim-grid", base.dims),
    fixedTokens: integerFlag("fixed-tokens", flags["fixed-tokens"], base.fixedTokens),
    fixedDim: integerFlag("fixed-dim", flags["fixed-dim"], base.fixedDim),
    batch: integerFlag("batch", flags["batch"], base.batch),
    layers: integerFlag("layers", flags["layers"], base.layers),
  };
  checkGrid(grid);
  return grid;
}

/** Writes the two charts and scaling.md into `dir`; returns the paths written. */
async function writeReport(dir: string, result: ScalingResult, repeats: number, engines: readonly Engine[]): Promise<string[]> {
  const charts = await writeCharts(dir, scalingCharts(result), "--out");
  const report = join(dir, "scaling.md");
  const engineDescriptions = engines.flatMap((e) => (e.describe ? [e.describe()] : []));
  writeOutputFile("--out", report, scalingMarkdown({ result, repeats, charts: charts.map((c) => basename(c)), engineDescriptions }));
  return [report, ...charts];
}

/** The exponents table, then each engine's median per point. */
export function formatResult(result: ScalingResult): string {
  const fits = formatAlignedTable(
    ["engine", "axis", "exponent", "± std. error", "counted-FLOP exponent", "timed points"],
    result.fits.map((f) => [f.engine, f.axis, formatExponent(f.exponent), formatExponent(f.standardError), formatExponent(f.flopExponent), String(f.points)]),
    [false, false, true, true, true, true],
  );
  const points = formatAlignedTable(
    ["axis", "value", "size", "engine", "median ms", "GFLOP", "note"],
    result.points.map((p) => [p.axis, String(p.value), p.size, p.engine, formatMs(p.medianMs), (p.flops / 1e9).toPrecision(3), p.note ?? ""]),
    [false, true, false, false, true, true, false],
  );
  const { grid } = result;
  return [
    points,
    "",
    fits,
    "",
    `Tokens swept at d ${grid.fixedDim}, d swept at ${grid.fixedTokens} tokens; batch ${grid.batch}, ${grid.layers} layers.`,
    "exponent: least-squares slope of log(median ms) against log(value); counted-FLOP exponent: the same fit of the",
    "counted FLOPs, what pure arithmetic would give (attention grows as tokens^2 d, the weight products as tokens d^2).",
    "std. error: from the fit's residuals (3 or more points); points whose result missed the reference are not fitted.",
  ].join("\n");
}
