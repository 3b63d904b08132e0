import { join } from "node:path";
import { type CommandIO, integerFlag, integerListFlag, listFlag, parse, positiveFlag } from "@unfold/cli";
import { prepareOutputDirectory } from "@unfold/files";
import { writeCharts } from "../report/charts.js";
import { writeOutputFile } from "../report/output.js";
import { FIXED_POINT_ENGINES } from "../fixed-point/engines.js";
import { FIXED_POINT_SHAPE, type FixedPointShape, QUICK_FIXED_POINT_SHAPE } from "../fixed-point/model.js";
import { formatFixedPoint, memoryChart } from "../fixed-point/report.js";
import { type FixedPointPlan, type FixedPointResult, MEMORY_RATIO_TARGET, runFixedPointStudy } from "../fixed-point/study.js";
import { compileWasmOptimized } from "../wasm-tiering.js";

/** The issue's depths: the implicit step's memory must stay flat from the first to the last. */
export const FIXED_POINT_DEPTHS = [12, 48, 192] as const;
/** Depths 4x apart, as 12 and 48 are: CI sees the unrolled peak grow and the implicit one stay flat, with little to compile. */
export const QUICK_FIXED_POINT_DEPTHS = [4, 16] as const;
/** Timed runs per point after the measured first run. */
export const FIXED_POINT_REPEATS = 3;
/** One timed run: CI wants the figures to exist and be finite, not a precise median. */
export const QUICK_FIXED_POINT_REPEATS = 1;
/** float32's resolution leaves room above 1e-5 for a relative residual; the same for every engine, so the counts compare. */
export const FIXED_POINT_TOL = 1e-4;
/** The forward's iteration cap: far above the Yang layer's count, so a slow solve shows as unconverged, not as a hang. */
export const FIXED_POINT_MAX_ITERATIONS = 500;

const usage = (): string => `usage: unfold bench fixed-point [--quick] [--json] [--engine LIST] [--depths LIST]
                                [--batch N] [--tokens N] [--dim N] [--tol X] [--max-iterations N]
                                [--repeats N] [--out DIR]
  fixed-point: one tied Yang layer with an input anchor, run from the input to a relative residual
  of --tol by solveFixedPoint, plain iteration and Anderson (time, iterations, layer evaluations).
  implicit-train-step against unrolled-train-step at each depth K: time and peak memory, and the
  peak's ratio between the largest and the smallest K (target for the implicit step: <= 1.10).
  --quick             batch ${QUICK_FIXED_POINT_SHAPE.batch} x ${QUICK_FIXED_POINT_SHAPE.tokens} tokens x d ${QUICK_FIXED_POINT_SHAPE.dim}, depths ${QUICK_FIXED_POINT_DEPTHS.join(",")}, ${QUICK_FIXED_POINT_REPEATS} timed run per point (CI)
  --engine LIST       comma list of engines (default: all of ${FIXED_POINT_ENGINES.join(", ")})
  --depths LIST       depths K, at least 2 distinct (default ${FIXED_POINT_DEPTHS.join(",")}; --quick ${QUICK_FIXED_POINT_DEPTHS.join(",")})
  --batch N, --tokens N, --dim N   the state's shape (default ${FIXED_POINT_SHAPE.batch} x ${FIXED_POINT_SHAPE.tokens} x ${FIXED_POINT_SHAPE.dim})
  --tol X             the forward's relative-residual tolerance (default ${FIXED_POINT_TOL})
  --max-iterations N  the forward's iteration cap (default ${FIXED_POINT_MAX_ITERATIONS})
  --repeats N         timed runs per point after the measured first run (default ${FIXED_POINT_REPEATS})
  --out DIR           also write DIR/fixed-point.md and DIR/fixed-point-memory.svg
  --json              print {"forward": [...], "train": [...], "ratios": [...]} as one JSON object on the last line
  The command fails (after printing) when an implicit step's pool peak ratio misses the target.`;

/** What tests inject into the command. */
export interface FixedPointCommandOptions {
  /** Replaces the study (tests of the flags and the output). */
  readonly run?: (plan: FixedPointPlan, onProgress: (line: string) => void) => Promise<FixedPointResult>;
}

/** `pnpm bench fixed-point`: the tables, or with --json one JSON object on the last line. */
export async function fixedPointCommand(argv: string[], io: CommandIO, options: FixedPointCommandOptions = {}): Promise<void> {
  const flags = parse(argv, {
    quick: { type: "boolean" },
    json: { type: "boolean" },
    engine: { type: "string" },
    depths: { type: "string" },
    batch: { type: "string" },
    tokens: { type: "string" },
    dim: { type: "string" },
    tol: { type: "string" },
    "max-iterations": { type: "string" },
    repeats: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(usage());
  // Every flag is read before anything loads, so a typo fails at once.
  const quick = flags["quick"] === true;
  const plan = planOf(flags, quick);
  if (flags["out"] === "") throw new Error("--out needs a path");
  const outDir = typeof flags["out"] === "string" ? prepareOutputDirectory(flags["out"], "--out") : undefined;
  compileWasmOptimized();
  const started = performance.now();
  const result = await (options.run ?? runFixedPointStudy)(plan, (line) => io.progress(`[fixed-point] ${line}`));
  io.progress(`[fixed-point] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (outDir !== undefined) {
    const report = join(outDir, "fixed-point.md");
    writeOutputFile("--out", report, `# Fixed-point bench\n\n\`\`\`\n${formatFixedPoint(result)}\n\`\`\`\n`);
    io.progress(`[fixed-point] wrote ${report}`);
    const chart = memoryChart(result);
    if (chart) for (const path of await writeCharts(outDir, [chart], "--out")) io.progress(`[fixed-point] wrote ${path}`);
  }
  if (flags["json"]) {
    io.out(JSON.stringify({ plan: result.plan, forward: result.forward, train: result.train, ratios: result.ratios, unavailable: result.unavailable }));
  } else {
    io.out(formatFixedPoint(result));
  }
  // The target is the runner's to enforce, as the soak's RSS growth is: after the figures, a missed one fails the command.
  const missed = result.ratios.filter((r) => r.meetsTarget === false);
  if (missed.length > 0) {
    throw new Error(
      `fixed-point: implicit-train-step peak memory grew past ${MEMORY_RATIO_TARGET}x from K=${missed[0]!.fromDepth} to K=${missed[0]!.toDepth}: ${missed.map((r) => `${r.engine} ${r.ratio.toFixed(3)}x`).join(", ")}`,
    );
  }
}

/** The plan of the flags; each error names its flag. */
function planOf(flags: Record<string, string | boolean | undefined>, quick: boolean): FixedPointPlan {
  const base: FixedPointShape = quick ? QUICK_FIXED_POINT_SHAPE : FIXED_POINT_SHAPE;
  const depths = [...new Set(integerListFlag("depths", flags["depths"], quick ? QUICK_FIXED_POINT_DEPTHS : FIXED_POINT_DEPTHS))].sort((a, b) => a - b);
  if (depths.length < 2) throw new Error(`--depths needs at least 2 distinct depths to compare memory across, got '${String(flags["depths"])}'`);
  const engines = listFlag("engine", flags["engine"], FIXED_POINT_ENGINES) ?? [...FIXED_POINT_ENGINES];
  return {
    shape: {
      batch: integerFlag("batch", flags["batch"], base.batch),
      tokens: integerFlag("tokens", flags["tokens"], base.tokens),
      dim: integerFlag("dim", flags["dim"], base.dim),
      outputs: base.outputs,
    },
    engines: [...new Set(engines)],
    depths,
    tol: positiveFlag("tol", flags["tol"], FIXED_POINT_TOL),
    maxIterations: integerFlag("max-iterations", flags["max-iterations"], FIXED_POINT_MAX_ITERATIONS),
    repeats: integerFlag("repeats", flags["repeats"], quick ? QUICK_FIXED_POINT_REPEATS : FIXED_POINT_REPEATS, 0),
  };
}
