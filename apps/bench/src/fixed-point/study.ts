// The fixed-point study: the forward solve to a tolerance (plain iteration against Anderson) and
// the training step against depth K (unrolled against implicit), on each Unfold engine, with time
// and peak memory per point and the implicit step's memory ratio between the largest and the
// smallest depth against its target.
import { summarize } from "../measure.js";
import { PeakSampler } from "../memory.js";
import { messageOf } from "../engines/engine.js";
import { type FixedPointEngine, type MeasuredBackend, makeBackend } from "./engines.js";
import { type AnchoredModel, type FixedPointShape, anchoredModel } from "./model.js";
import { type TrainRun, forwardSolve, implicitStep, unrolledStep } from "./steps.js";

/** The implicit step's peak memory at the largest depth over the smallest may be at most this. */
export const MEMORY_RATIO_TARGET = 1.1;
/** The forward solvers compared. */
export const FORWARD_SOLVERS = ["iteration", "anderson"] as const;
/** The training steps compared. */
export const TRAIN_MODES = ["unrolled", "implicit"] as const;
/** One of TRAIN_MODES. */
export type TrainMode = (typeof TRAIN_MODES)[number];

/** What the study runs. */
export interface FixedPointPlan {
  readonly shape: FixedPointShape;
  readonly engines: readonly FixedPointEngine[];
  /** The depths K of the training step, ascending, at least 2. */
  readonly depths: readonly number[];
  /** The forward's relative-residual tolerance, and its iteration cap. */
  readonly tol: number;
  readonly maxIterations: number;
  /** Timed runs per point after the measured (cold) one; the reference interpreter runs once whatever this says. */
  readonly repeats: number;
}

/** One forward solve row. */
export interface ForwardRow {
  readonly engine: FixedPointEngine;
  readonly solver: (typeof FORWARD_SOLVERS)[number];
  readonly dtype: string;
  readonly medianMs: number;
  readonly iterations: number;
  readonly layerEvaluations: number;
  readonly converged: boolean;
  readonly residual: number;
}

/** One training-step row. */
export interface TrainRow {
  readonly engine: FixedPointEngine;
  readonly mode: TrainMode;
  readonly depth: number;
  readonly medianMs: number;
  /** The JavaScript heap's growth (V8 heap and external memory), sampled during the first run. */
  readonly heapPeakBytes: number;
  /** The backend's own pool peak during the first run (compilation included); null where it keeps none. */
  readonly poolPeakBytes: number | null;
  readonly loss: number;
  readonly forwardEvaluations: number;
  readonly adjointIterations: number | null;
  readonly gradientNorm: number;
}

/** An engine's peak-memory ratio between the largest and the smallest depth, per mode. */
export interface MemoryRatio {
  readonly engine: FixedPointEngine;
  readonly mode: TrainMode;
  /** Which figure: the backend's pool where it has one, else the JavaScript heap. */
  readonly measure: "pool" | "heap";
  readonly fromDepth: number;
  readonly toDepth: number;
  /** NaN when the smaller depth's peak is 0. */
  readonly ratio: number;
  /** Implicit with a pool count only: whether ratio <= MEMORY_RATIO_TARGET; null where not judged. */
  readonly meetsTarget: boolean | null;
}

/** The study's result. */
export interface FixedPointResult {
  readonly plan: FixedPointPlan;
  readonly forward: ForwardRow[];
  readonly train: TrainRow[];
  readonly ratios: MemoryRatio[];
  /** Engines that could not run here, with why. */
  readonly unavailable: { readonly engine: FixedPointEngine; readonly reason: string }[];
}

const repeatsFor = (engine: FixedPointEngine, repeats: number): number => (engine === "unfold-reference" ? 0 : repeats);

/**
 * Runs `work` once measured (a fresh backend, so compilation and every buffer it makes count)
 * then `repeats` more times timed. The median is of the timed runs, or the first run's time when
 * there are none.
 */
async function measurePoint<T>(engine: FixedPointEngine, repeats: number, work: (b: MeasuredBackend) => Promise<T>): Promise<{ value: T; ms: number; heapPeakBytes: number; poolPeakBytes: number | null }> {
  const measured = await makeBackend(engine);
  try {
    const sampler = new PeakSampler();
    const started = performance.now();
    let first: { value: T; poolBytes: number | null };
    let heapPeakBytes: number;
    try {
      first = await measured.measure(() => work(measured));
    } finally {
      // Stopped in any case: the sampler's timer is unref'd but should not outlive its point.
      heapPeakBytes = sampler.stop();
    }
    const firstMs = performance.now() - started;
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      await work(measured);
      times.push(performance.now() - t);
    }
    return { value: first.value, ms: times.length > 0 ? summarize(times).medianMs : firstMs, heapPeakBytes, poolPeakBytes: first.poolBytes };
  } finally {
    await measured.backend.dispose();
  }
}

/** Runs the plan; `onProgress` gets a line per point. An engine that cannot start is listed as unavailable, not fatal. */
export async function runFixedPointStudy(plan: FixedPointPlan, onProgress: (line: string) => void = () => {}): Promise<FixedPointResult> {
  const model = anchoredModel(plan.shape);
  const result: FixedPointResult = { plan, forward: [], train: [], ratios: [], unavailable: [] };
  for (const engine of plan.engines) {
    try {
      await (await makeBackend(engine)).backend.dispose();
    } catch (error) {
      result.unavailable.push({ engine, reason: messageOf(error) });
      onProgress(`${engine}: unavailable (${messageOf(error)})`);
      continue;
    }
    try {
      await runEngine(engine, model, plan, result, onProgress);
    } catch (error) {
      // Named, so a failure deep in a solver says which engine it came from.
      throw new Error(`${engine}: ${messageOf(error)}`, { cause: error });
    }
  }
  result.ratios.push(...memoryRatios(result.train, plan.depths));
  return result;
}

async function runEngine(engine: FixedPointEngine, model: AnchoredModel, plan: FixedPointPlan, result: FixedPointResult, onProgress: (line: string) => void): Promise<void> {
  const repeats = repeatsFor(engine, plan.repeats);
  for (const solver of FORWARD_SOLVERS) {
    let dtype = "";
    const point = await measurePoint(engine, repeats, (b) => {
      dtype = b.dtype;
      return forwardSolve(model, b.backend, b.dtype, solver, plan.tol, plan.maxIterations);
    });
    result.forward.push({ engine, solver, dtype, medianMs: point.ms, ...point.value });
    onProgress(`${engine} fixed-point ${solver}: ${point.value.layerEvaluations} layer evaluations, ${point.ms.toFixed(1)} ms`);
  }
  for (const depth of plan.depths) {
    for (const mode of TRAIN_MODES) {
      const step = mode === "unrolled" ? unrolledStep : implicitStep;
      const point = await measurePoint<TrainRun>(engine, repeats, (b) => step(model, b.backend, b.dtype, depth));
      const { gradientNormSq, ...run } = point.value;
      result.train.push({ engine, mode, depth, medianMs: point.ms, heapPeakBytes: point.heapPeakBytes, poolPeakBytes: point.poolPeakBytes, ...run, gradientNorm: Math.sqrt(gradientNormSq) });
      onProgress(`${engine} ${mode}-train-step K=${depth}: ${point.ms.toFixed(1)} ms`);
    }
  }
}

/** Per engine and mode, the peak at the largest depth over the peak at the smallest. */
export function memoryRatios(rows: readonly TrainRow[], depths: readonly number[]): MemoryRatio[] {
  const fromDepth = Math.min(...depths);
  const toDepth = Math.max(...depths);
  const ratios: MemoryRatio[] = [];
  const engines = [...new Set(rows.map((r) => r.engine))];
  for (const engine of engines) {
    for (const mode of TRAIN_MODES) {
      const from = rows.find((r) => r.engine === engine && r.mode === mode && r.depth === fromDepth);
      const to = rows.find((r) => r.engine === engine && r.mode === mode && r.depth === toDepth);
      if (!from || !to) continue;
      const pool = from.poolPeakBytes !== null && to.poolPeakBytes !== null;
      const [a, b] = pool ? [from.poolPeakBytes!, to.poolPeakBytes!] : [from.heapPeakBytes, to.heapPeakBytes];
      // A peak of 0 (nothing measured above the baseline) has no ratio.
      const ratio = a > 0 ? b / a : Number.NaN;
      // Only an exact count is judged: the sampled heap misses peaks between samples and drops with
      // every collection, so below a few MiB its ratio is noise (reported, not judged).
      const judged = mode === "implicit" && pool && Number.isFinite(ratio);
      ratios.push({ engine, mode, measure: pool ? "pool" : "heap", fromDepth, toDepth, ratio, meetsTarget: judged ? ratio <= MEMORY_RATIO_TARGET : null });
    }
  }
  return ratios;
}
