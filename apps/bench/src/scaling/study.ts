/**
 * The scaling study: the unfold-forward workload timed along two axes, the number of tokens at
 * a fixed width d and the width at a fixed number of tokens, and the exponent p of
 * time ~ value^p fitted per engine and axis by least squares in log-log. The counted FLOPs of
 * the same programs get the same fit: that is the exponent an engine whose time were all
 * arithmetic would show. Attention's token-by-token products grow as n^2 d and the weight
 * products as n d^2, so neither count is a pure power and its fitted slope lies between 1 and 2,
 * nearer 2 for tokens when n >> d and nearer 2 for width when d >> n. A measured exponent below
 * the counted one says the engine gets more efficient with size: fixed per-run costs (dispatch,
 * allocation) weigh less, and two threads share larger products better. Above it, the engine
 * slows as its data leaves the caches. The count is of Unfold's optimized program; an engine
 * computing the same math another way (Y Ws Y^T rather than Z Z^T) does somewhat different
 * work, and with a sweep that is not a pure power law that moves its slope a little too.
 * Each exponent comes with its standard error from the fit's residuals: three to five points on
 * a shared machine are a noisy basis.
 */
import { logLogSlope } from "@unfold/hessian";
import { LAYERS, type SizeSpec, customSize } from "../config.js";
import type { Engine } from "../engines/engine.js";
import { type BenchPlan, type BenchRow, type WorkCount, runBench } from "../runner.js";

export const SCALING_AXES = ["tokens", "dim"] as const;
export type ScalingAxis = (typeof SCALING_AXES)[number];

/** The two sweeps: `tokens` at width `fixedDim`, and `dims` at `fixedTokens` tokens. */
export interface ScalingGrid {
  readonly tokens: readonly number[];
  readonly dims: readonly number[];
  readonly fixedDim: number;
  readonly fixedTokens: number;
  readonly batch: number;
  readonly layers: number;
}

/**
 * CI-fast: five distinct shapes (the sweeps share their middle point), each under 0.3 s of
 * float64 reference (which runBench computes once per shape for relErr), and large enough that
 * the products, not the per-run overheads, decide most of each engine's time.
 */
export const QUICK_GRID: ScalingGrid = { tokens: [64, 128, 256], dims: [32, 64, 128], fixedDim: 64, fixedTokens: 128, batch: 1, layers: LAYERS };

/**
 * Four octaves per axis. The largest shapes (1024 tokens at d 64, d 512 at 128 tokens) are a
 * few GFLOP a forward; their float64 reference takes seconds each, not minutes.
 */
export const FULL_GRID: ScalingGrid = { tokens: [64, 128, 256, 512, 1024], dims: [32, 64, 128, 256, 512], fixedDim: 64, fixedTokens: 128, batch: 1, layers: LAYERS };

/** One engine's time at one point of one sweep. */
export interface ScalingPoint {
  readonly engine: string;
  readonly axis: ScalingAxis;
  /** The swept value: tokens on the tokens axis, d on the dim axis. */
  readonly value: number;
  readonly size: string;
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
  readonly layers: number;
  /** Median of the timed runs; null when the engine did not run at this shape (see note). */
  readonly medianMs: number | null;
  readonly madMs: number | null;
  readonly runs: number;
  readonly relErr: number | null;
  /** Counted FLOPs of one forward at this shape (the same for every engine). */
  readonly flops: number;
  readonly note?: string;
}

/** The fitted exponent of one engine along one axis, beside the counted FLOPs' own. */
export interface ScalingFit {
  readonly engine: string;
  readonly axis: ScalingAxis;
  /** Least-squares slope of log(median ms) against log(value); null with fewer than 2 timed points. */
  readonly exponent: number | null;
  /** The same fit of the counted FLOPs over the whole sweep: the "all arithmetic" exponent. */
  readonly flopExponent: number | null;
  /** Standard error of `exponent` from the fit's residuals; null with fewer than 3 points. */
  readonly standardError: number | null;
  /** Timed points behind `exponent`: those with a result within tolerance. */
  readonly points: number;
}

export interface ScalingResult {
  readonly grid: ScalingGrid;
  readonly engines: readonly string[];
  readonly points: readonly ScalingPoint[];
  readonly fits: readonly ScalingFit[];
}

/** What times the shapes: runBench, or in tests anything returning its rows and counted work. */
export type Measure = (plan: BenchPlan) => Promise<{ rows: BenchRow[]; work: WorkCount[] }>;

export interface ScalingPlan {
  readonly grid: ScalingGrid;
  readonly engines: readonly Engine[];
  readonly repeats: number;
  readonly warmup: number;
  readonly budgetMs?: number;
  readonly gapMs?: number;
  /** Time the float64 reference engine too when it is among the engines (it is slow). */
  readonly timeReference?: boolean;
  readonly tolerance?: number;
  readonly onProgress?: (message: string) => void;
  readonly measure?: Measure;
}

/** One swept point: which axis, which value, and the shape it runs at. */
export interface SweepPoint {
  readonly axis: ScalingAxis;
  readonly value: number;
  readonly size: SizeSpec;
}

/**
 * The shapes of both sweeps, each swept point with its shape. A shape on both sweeps (their
 * crossing, when fixedDim is on the dim grid and fixedTokens on the tokens grid) runs once.
 */
export function sweepPoints(grid: ScalingGrid): { points: SweepPoint[]; sizes: SizeSpec[] } {
  const base: SizeSpec = { name: "scaling", batch: grid.batch, tokens: grid.fixedTokens, dim: grid.fixedDim, layers: grid.layers };
  const points: SweepPoint[] = [
    ...grid.tokens.map((tokens) => ({ axis: "tokens" as const, value: tokens, size: customSize({ tokens, dim: grid.fixedDim }, base) })),
    ...grid.dims.map((dim) => ({ axis: "dim" as const, value: dim, size: customSize({ tokens: grid.fixedTokens, dim }, base) })),
  ];
  // customSize names a shape by all of its numbers, so equal names are equal shapes.
  const sizes = [...new Map(points.map((p) => [p.size.name, p.size])).values()];
  return { points, sizes };
}

/** Checks a grid before minutes of timing: every value a positive integer, two distinct per axis. */
export function checkGrid(grid: ScalingGrid): void {
  const positive = (what: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`scaling: ${what} must be a positive integer, got ${v}`);
  };
  for (const [axis, values] of [["tokens", grid.tokens], ["dim", grid.dims]] as const) {
    values.forEach((v) => positive(`the ${axis} grid`, v));
    if (new Set(values).size < 2) throw new Error(`scaling: the ${axis} grid needs at least 2 distinct values to fit a slope, got ${values.join(", ") || "none"}`);
  }
  positive("fixedDim", grid.fixedDim);
  positive("fixedTokens", grid.fixedTokens);
  positive("batch", grid.batch);
  positive("layers", grid.layers);
}

/** Times every shape of the grid on every engine (one runBench call), then fits the exponents. */
export async function runScaling(plan: ScalingPlan): Promise<ScalingResult> {
  checkGrid(plan.grid);
  const { points: sweep, sizes } = sweepPoints(plan.grid);
  const measure = plan.measure ?? runBench;
  plan.onProgress?.(`${sizes.length} shapes x ${plan.engines.length} engines: ${sizes.map((s) => s.name).join("; ")}`);
  // One call, not one per shape: each engine initializes once (runBench disposes them at its end).
  const { rows, work } = await measure({
    workloads: ["unfold-forward"],
    sizes,
    // Unused by unfold-forward; runBench's plan requires one.
    matmul: { m: 1, k: 1, n: 1 },
    engines: plan.engines,
    repeats: plan.repeats,
    warmup: plan.warmup,
    ...(plan.budgetMs !== undefined ? { budgetMs: plan.budgetMs } : {}),
    ...(plan.gapMs !== undefined ? { gapMs: plan.gapMs } : {}),
    skipReference: plan.timeReference !== true,
    tolerance: plan.tolerance ?? 1e-3,
    ...(plan.onProgress ? { onProgress: plan.onProgress } : {}),
  });
  const engines = plan.engines.map((e) => e.name);
  const points = joinPoints(sweep, engines, rows, work);
  return { grid: plan.grid, engines, points, fits: fitScaling(points, plan.tolerance ?? 1e-3) };
}

/** Each swept point's row per engine, in sweep order then engine order. */
export function joinPoints(sweep: readonly SweepPoint[], engines: readonly string[], rows: readonly BenchRow[], work: readonly WorkCount[]): ScalingPoint[] {
  const forward = rows.filter((r) => r.workload === "unfold-forward");
  return sweep.flatMap(({ axis, value, size }) => {
    const flops = work.find((w) => w.workload === "unfold-forward" && w.size === size.name)?.flops;
    if (flops === undefined) throw new Error(`scaling: no counted work for ${size.name}`);
    return engines.map((engine): ScalingPoint => {
      const row = forward.find((r) => r.size === size.name && r.engine === engine);
      const shape = { batch: size.batch, tokens: size.tokens, dim: size.dim, layers: size.layers ?? LAYERS };
      const timed = { medianMs: row?.medianMs ?? null, madMs: row?.madMs ?? null, runs: row?.runs ?? 0, relErr: row?.relErr ?? null };
      const note = row ? row.note : "no row for this engine and shape";
      return { engine, axis, value, size: size.name, ...shape, ...timed, flops, ...(note !== undefined ? { note } : {}) };
    });
  });
}

/** A time or count a log axis and a log fit can take. */
export const loggable = (v: number | null): v is number => v !== null && Number.isFinite(v) && v > 0;

/**
 * The fitted exponents, per engine (first-appearance order) and axis. The FLOP exponent is fitted
 * over every value of the sweep, the engine's over the values where it was timed and its result
 * was within `tolerance` of the reference (a fast wrong answer says nothing about scaling): an
 * engine that failed at one shape still gets a slope from the rest, and `points` says how many.
 */
export function fitScaling(points: readonly ScalingPoint[], tolerance = Infinity): ScalingFit[] {
  const engines = [...new Set(points.map((p) => p.engine))];
  return engines.flatMap((engine) =>
    SCALING_AXES.flatMap((axis): ScalingFit[] => {
      const along = points.filter((p) => p.engine === engine && p.axis === axis);
      if (along.length === 0) return [];
      const timed = along.filter((p) => loggable(p.medianMs) && !(p.relErr !== null && p.relErr > tolerance));
      const counted = along.filter((p) => loggable(p.flops));
      const fit = logLogFit(timed.map((p) => p.value), timed.map((p) => p.medianMs!));
      return [
        {
          engine,
          axis,
          exponent: fit?.slope ?? null,
          flopExponent: logLogFit(counted.map((p) => p.value), counted.map((p) => p.flops))?.slope ?? null,
          standardError: fit?.standardError ?? null,
          points: timed.length,
        },
      ];
    }),
  );
}

/**
 * The least-squares line through (log x, log y): its slope, and the slope's standard error
 * sqrt(SSR / (n - 2) / Sxx) (null with fewer than 3 points, where the residuals have no freedom).
 * Null where the slope is undefined: fewer than two distinct x.
 */
export function logLogFit(xs: readonly number[], ys: readonly number[]): { slope: number; standardError: number | null } | null {
  if (new Set(xs).size < 2) return null;
  const slope = logLogSlope(xs, ys);
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const n = lx.length;
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  const sxx = lx.reduce((acc, x) => acc + (x - mx) ** 2, 0);
  const ssr = lx.reduce((acc, x, i) => acc + (ly[i]! - my - slope * (x - mx)) ** 2, 0);
  return { slope, standardError: n > 2 ? Math.sqrt(ssr / (n - 2) / sxx) : null };
}
