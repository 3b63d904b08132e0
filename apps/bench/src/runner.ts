import { optimize } from "@unfold/core";
import type { MatmulShape, SizeSpec } from "./config.js";
import { type Engine, EngineUnavailable, type PreparedRun, WorkloadUnsupported, messageOf } from "./engines/engine.js";
import { countFlops } from "./flops.js";
import { timeInterleaved } from "./interleave.js";
import { maxRelativeError } from "./measure.js";
import { PeakSampler } from "./memory.js";
import { descentStepProblem, energyProblem, forwardProblem, matmulProblem, trainProblem } from "./workloads/inputs.js";
import type { Problem, WorkloadName } from "./workloads/problem.js";
import { programTask, referenceOutputs } from "./workloads/programs.js";

/** One line of the report. Numbers that do not apply (a row that could not run) are null. */
export interface BenchRow {
  readonly workload: WorkloadName;
  readonly size: string;
  readonly engine: string;
  readonly medianMs: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /** Median absolute deviation of the timed runs (measure.ts). */
  readonly madMs: number | null;
  /** Timed runs behind the figures (0 for a row that did not run). */
  readonly runs: number;
  readonly gflops: number | null;
  readonly relErr: number | null;
  /** (fastest peer's median) / (this engine's median): above 1 is faster than every peer. */
  readonly ratioVsBestPeer: number | null;
  /**
   * Peak growth of the JavaScript heap (V8's heap and the memory it accounts for, memory.ts)
   * while this engine alone prepared and checked the workload, over a collected baseline, in MB.
   */
  readonly heapMB: number | null;
  /** What the engine holds outside that figure after its check run (PreparedRun.poolBytes), in MB. */
  readonly poolMB: number | null;
  readonly note?: string;
}

/** Counted work of one run of a workload at one size. */
export interface WorkCount {
  readonly workload: WorkloadName;
  readonly size: string;
  readonly flops: number;
}

export interface BenchPlan {
  readonly workloads: readonly WorkloadName[];
  readonly sizes: readonly SizeSpec[];
  readonly matmul: MatmulShape;
  readonly engines: readonly Engine[];
  readonly repeats: number;
  readonly warmup: number;
  /** Per row, no new warm-up or timed run starts after this many ms (one timed run always does). */
  readonly budgetMs?: number;
  /** Idle ms before each timed run when several engines share a row (default DEFAULT_GAP_MS). */
  readonly gapMs?: number;
  /** Skip timing the float64 reference engine (its row stays, with a note). */
  readonly skipReference: boolean;
  /** Float32 engines whose relative error exceeds this get a note. */
  readonly tolerance: number;
  readonly onProgress?: (message: string) => void;
}

export const REFERENCE_ENGINE = "unfold-reference";

const MB = 2 ** 20;

/**
 * Long enough for every engine's worker threads to stop spinning and park: onnxruntime-web's
 * wasm worker keeps a core busy for 15-20 ms after each run (measured here from the thread's CPU
 * time, whatever the session's allow_spinning says), which made an engine timed right after it
 * up to 1.6x slower.
 */
export const DEFAULT_GAP_MS = 30;

export function problemsFor(workload: WorkloadName, sizes: readonly SizeSpec[], matmul: MatmulShape): Problem[] {
  switch (workload) {
    case "matmul":
      return [matmulProblem(matmul)];
    case "descent-step":
      return sizes.map((s) => descentStepProblem(s));
    case "unfold-forward":
      return sizes.map((s) => forwardProblem(s));
    case "train-step":
      return sizes.map((s) => trainProblem(s));
    case "energy-and-gradient":
    case "hvp":
      return sizes.map((s) => energyProblem(workload, s));
    case "hessian-block":
      // Two methods on one instance, not engines on a problem: workloads/hessian-block.ts.
      return [];
  }
}

/** Runs every workload at every size on every engine; rows in that order. */
export async function runBench(plan: BenchPlan): Promise<{ rows: BenchRow[]; work: WorkCount[] }> {
  const progress = plan.onProgress ?? (() => {});
  const rows: BenchRow[] = [];
  const work: WorkCount[] = [];
  const ready = new Map<Engine, Promise<void>>();
  const initialized = (engine: Engine): Promise<void> => {
    let p = ready.get(engine);
    if (!p) {
      p = engine.init ? engine.init() : Promise.resolve();
      p.catch(() => {});
      ready.set(engine, p);
    }
    return p;
  };
  try {
    for (const workload of plan.workloads) {
      for (const problem of problemsFor(workload, plan.sizes, plan.matmul)) {
        const where = `${workload} ${problem.label}`;
        const flops = countFlops(optimize(programTask(problem, "float32").program)).total;
        work.push({ workload, size: problem.label, flops });
        progress(`${where}: float64 reference (core interpret) ...`);
        const started = performance.now();
        const reference = referenceOutputs(problem);
        progress(`${where}: float64 reference done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        const group = await measureGroup(problem, reference, flops, plan, initialized, (engine, m) => progress(`${where} ${engine}: ${m}`));
        rows.push(...withRatios(group, plan.engines, plan.tolerance));
      }
    }
  } finally {
    for (const engine of plan.engines) {
      if (ready.has(engine)) await engine.dispose?.().catch(() => {});
    }
  }
  return { rows, work };
}

type RowBase = Pick<BenchRow, "workload" | "size" | "engine">;

function noRun(base: RowBase, note: string): BenchRow {
  return { ...base, medianMs: null, minMs: null, maxMs: null, madMs: null, runs: 0, gflops: null, relErr: null, ratioVsBestPeer: null, heapMB: null, poolMB: null, note };
}

/** An engine that prepared and passed its check run, waiting for its timed runs. */
interface Entrant {
  readonly engine: Engine;
  readonly run: PreparedRun;
  readonly relErr: number;
  readonly checkMs: number;
  readonly heapMB: number;
  readonly poolMB: number | null;
}

/**
 * Every engine on one problem: each prepares and checks against the reference in turn, then the
 * ones that can run are timed together, interleaved (interleave.ts), and all are disposed.
 * The rows come back in engine order.
 */
async function measureGroup(
  problem: Problem,
  reference: Record<string, Float64Array>,
  flops: number,
  plan: BenchPlan,
  initialized: (engine: Engine) => Promise<void>,
  progress: (engine: string, message: string) => void,
): Promise<BenchRow[]> {
  const rows = new Map<Engine, BenchRow>();
  const entrants: Entrant[] = [];
  const base = (engine: Engine): RowBase => ({ workload: problem.kind, size: problem.label, engine: engine.name });
  try {
    for (const engine of plan.engines) {
      const outcome = await prepareAndCheck(engine, problem, reference, plan, initialized, (m) => progress(engine.name, m));
      if ("row" in outcome) rows.set(engine, { ...base(engine), ...outcome.row });
      else entrants.push(outcome);
    }
    const budgetMs = plan.budgetMs ?? Infinity;
    const contestants = entrants.map(({ engine, checkMs }) => {
      const repeats = Math.min(plan.repeats, engine.cap?.repeats ?? Infinity);
      // A check run longer than the budget has warmed the engine up as much as a warm-up run would.
      const warmup = engine.cap?.timeCheck || checkMs >= budgetMs ? 0 : Math.min(plan.warmup, engine.cap?.warmup ?? Infinity);
      return { repeats, warmup, already: engine.cap?.timeCheck ? [checkMs] : [] };
    });
    if (entrants.length > 0) progress(entrants.map((e) => e.engine.name).join(", "), "timed in interleaved rounds");
    const timings = await timeInterleaved(
      entrants.map((e, i) => ({ ...contestants[i]!, step: () => e.run.step() })),
      {
        budgetMs,
        gapMs: entrants.length > 1 ? plan.gapMs ?? DEFAULT_GAP_MS : 0,
        onRun: (i, kind, index, ms) =>
          progress(entrants[i]!.engine.name, `${kind} ${index}/${kind === "run" ? contestants[i]!.repeats : contestants[i]!.warmup}: ${ms.toFixed(1)} ms`),
      },
    );
    entrants.forEach(({ engine, relErr, heapMB, poolMB }, i) => {
      const timing = timings[i]!;
      if ("error" in timing) {
        rows.set(engine, noRun(base(engine), `failed: ${messageOf(timing.error)}`));
        return;
      }
      const { runs, ...summary } = timing;
      const repeats = contestants[i]!.repeats;
      const notes = [
        ...(runs < repeats ? [`${runs} of ${repeats} timed runs (time budget)`] : []),
        ...(relErr <= plan.tolerance ? [] : [`relErr above ${plan.tolerance}${engine.peer ? " (so no engine's baseline)" : ""}`]),
      ];
      const gflops = summary.medianMs > 0 ? flops / summary.medianMs / 1e6 : null;
      rows.set(engine, {
        ...base(engine),
        ...summary,
        runs,
        gflops,
        relErr,
        ratioVsBestPeer: null,
        heapMB,
        poolMB,
        ...(notes.length ? { note: notes.join("; ") } : {}),
      });
    });
  } finally {
    for (const { run } of entrants) await run.dispose().catch(() => {});
  }
  return plan.engines.map((engine) => rows.get(engine)!);
}

/** Readies one engine and runs its check: an entrant for timing, or the row saying why not. */
async function prepareAndCheck(
  engine: Engine,
  problem: Problem,
  reference: Record<string, Float64Array>,
  plan: BenchPlan,
  initialized: (engine: Engine) => Promise<void>,
  progress: (message: string) => void,
): Promise<Entrant | { row: BenchRow }> {
  const base = { workload: problem.kind, size: problem.label, engine: engine.name };
  if (engine.name === REFERENCE_ENGINE && plan.skipReference) {
    return { row: noRun(base, "skipped: not timed (--quick or --skip-reference); core interpret still gave the relErr reference") };
  }
  try {
    await initialized(engine);
  } catch (error) {
    return { row: noRun(base, `unavailable: ${messageOf(error)}`) };
  }
  let run: PreparedRun | undefined;
  // Prepare and check run one engine at a time, so the heap's growth during them is this engine's.
  const sampler = new PeakSampler();
  try {
    progress("prepare");
    run = await engine.prepare(problem);
    sampler.sample();
    progress("check against the float64 reference");
    const started = performance.now();
    const outputs = await run.check();
    const checkMs = performance.now() - started;
    const heapMB = sampler.stop() / MB;
    const pool = run.poolBytes?.();
    const poolMB = pool !== undefined && Number.isFinite(pool) ? pool / MB : null;
    return { engine, run, relErr: maxRelativeError(outputs, reference), checkMs, heapMB, poolMB };
  } catch (error) {
    sampler.stop();
    await run?.dispose().catch(() => {});
    if (error instanceof WorkloadUnsupported) return { row: noRun(base, `unsupported: ${error.message}`) };
    if (error instanceof EngineUnavailable) return { row: noRun(base, `unavailable: ${error.message}`) };
    return { row: noRun(base, `failed: ${messageOf(error)}`) };
  }
}

/**
 * Fills ratioVsBestPeer within one workload and size: peers get theirs too. A peer whose result
 * is wrong (relErr above `tolerance`) keeps its own ratio but is no one's baseline: being fast at
 * the wrong answer is not the bar to beat.
 */
export function withRatios(group: readonly BenchRow[], engines: readonly Engine[], tolerance = Infinity): BenchRow[] {
  const peers = new Set(engines.filter((e) => e.peer).map((e) => e.name));
  const baselines = group.filter((r) => peers.has(r.engine) && r.medianMs !== null && (r.relErr === null || r.relErr <= tolerance));
  const medians = baselines.map((r) => r.medianMs!);
  const best = medians.length ? Math.min(...medians) : null;
  return group.map((r) => ({ ...r, ratioVsBestPeer: best !== null && r.medianMs !== null && r.medianMs > 0 ? best / r.medianMs : null }));
}
