import { FULL_SCALING, PREDICTED_SLOPES, QUICK_SCALING, SCALING_SERIES, type ScalingResult, logGrid, scalingStudy } from "@unfold/hessian";
import { type CommandIO, formatTable, integerFlag, outputFileFlag, parse, positiveFlag } from "@unfold/cli";
import { backendNamed, checkBackendName } from "../backends.js";
import { writingTo } from "@unfold/files";
import { writeGrowthPlot } from "../plots/growth.js";

const USAGE = `usage: unfold hessian scaling [--quick] [--d-model D] [--points N] [--seeds S] [--samples K]
                              [--batch B] [--fit-max SIGMA] [--backend cpu|reference] [--threads N]
                              [--plot FILE.svg] [--json]
The growth-rate study: the data scale sigma on a log grid over 1e-2..1e1, block Frobenius norms by
Hutchinson at each point and seed, log-log slopes fitted for sigma <= --fit-max (below softmax
saturation; at least 2 of the points must lie in [0.01, --fit-max]). --quick: d_model 16, 10 points,
3 seeds. Default: d_model 32, 20 points, 5 seeds. --threads: the CPU backend's threads (default:
every core). --plot writes the growth curves as SVG.`;

/** The slopes the study is judged by, the --json line's keys. */
export const REPORTED_SLOPES = ["V_outer", "V_functional", "Q_outer", "Q_functional", "Q_full", "linear_Q", "preln_Q", "mlp"] as const;

/** The study's log grid of data scales sigma. */
const SIGMA_MIN = 1e-2;
const SIGMA_MAX = 1e1;

/** A slope needs two points: the fit range must hold at least two sigmas of the grid. */
function checkFitRange(sigmas: readonly number[], [lo, hi]: readonly [number, number], given: string | boolean | undefined, points: number): void {
  // The same tolerance as the study's own selection, so the two agree on the grid's end points.
  const inside = sigmas.filter((s) => s >= lo * (1 - 1e-9) && s <= hi * (1 + 1e-9)).length;
  if (inside >= 2) return;
  const what = given === undefined ? `the default --fit-max ${hi}` : `--fit-max '${String(given)}'`;
  throw new Error(
    `${what} leaves ${inside} of the ${points} sigmas (--points ${points}, a log grid over ${SIGMA_MIN}..${SIGMA_MAX}) in the fit range [${lo}, ${hi}]; a slope needs at least 2: raise --fit-max or --points`,
  );
}

export async function scalingCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, {
    quick: { type: "boolean" },
    "d-model": { type: "string" },
    points: { type: "string" },
    seeds: { type: "string" },
    samples: { type: "string" },
    batch: { type: "string" },
    "fit-max": { type: "string" },
    backend: { type: "string" },
    threads: { type: "string" },
    plot: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(USAGE);
  const base = flags["quick"] ? QUICK_SCALING : FULL_SCALING;
  // Every flag is checked, and the plot's folder made and proved writable, before the study starts.
  const points = integerFlag("points", flags["points"], base.sigmas.length, 2);
  const options = {
    ...base,
    dModel: integerFlag("d-model", flags["d-model"], base.dModel),
    sigmas: logGrid(SIGMA_MIN, SIGMA_MAX, points),
    seeds: integerFlag("seeds", flags["seeds"], base.seeds),
    samples: integerFlag("samples", flags["samples"], base.samples),
    batch: integerFlag("batch", flags["batch"], base.batch),
    fitRange: [base.fitRange[0], positiveFlag("fit-max", flags["fit-max"], base.fitRange[1])] as const,
  };
  checkFitRange(options.sigmas, options.fitRange, flags["fit-max"], points);
  checkBackendName(flags["backend"]);
  const threads = flags["threads"] === undefined ? undefined : integerFlag("threads", flags["threads"], 1);
  const plotPath = outputFileFlag("plot", flags["plot"]);
  const backend = backendNamed(flags["backend"], "cpu", threads);
  let result: ScalingResult;
  try {
    result = await scalingStudy({ ...options, backend, onProgress: (m) => io.progress(m) });
  } finally {
    await backend.dispose();
  }
  if (plotPath !== undefined) {
    writingTo("--plot", plotPath, () => writeGrowthPlot(plotPath, result));
    io.progress(`plot: ${plotPath}`);
  }
  const slopes = Object.fromEntries(REPORTED_SLOPES.map((s) => [s, result.slopes[s]]));
  if (flags["json"]) {
    io.out(JSON.stringify({ slopes }));
    return;
  }
  io.out(`d_model ${options.dModel}, ${points} sigmas on 1e-2..1e1, ${options.seeds} seeds, ${options.samples} Hutchinson probes; fit on sigma in [${result.fitRange[0]}, ${result.fitRange[1]}] (${result.fitSigmas.length} points)`);
  io.out(
    formatTable(
      ["series", "slope", "predicted"],
      SCALING_SERIES.map((s) => [s, result.slopes[s], result.identicallyZero.includes(s) ? `${PREDICTED_SLOPES[s]} (identically zero)` : String(PREDICTED_SLOPES[s])]),
    ),
  );
}
