import { FULL_SCALING, PREDICTED_SLOPES, QUICK_SCALING, SCALING_SERIES, type ScalingResult, logGrid, scalingStudy } from "@unfold/hessian";
import { resolve } from "node:path";
import { type CommandIO, formatTable, integerFlag, parse, positiveFlag } from "@unfold/cli";
import { backendNamed } from "../backends.js";
import { writeGrowthPlot } from "../plots/growth.js";

const USAGE = `usage: pnpm hessian scaling [--quick] [--d-model D] [--points N] [--seeds S] [--samples K]
                            [--batch B] [--fit-max SIGMA] [--backend cpu|reference] [--plot FILE.svg] [--json]
The growth-rate study: the data scale sigma on a log grid over 1e-2..1e1, block Frobenius norms by
Hutchinson at each point and seed, log-log slopes fitted for sigma <= --fit-max (below softmax
saturation). --quick: d_model 16, 10 points, 3 seeds. Default: d_model 32, 20 points, 5 seeds.`;

/** The slopes the study is judged by, the --json line's keys. */
export const REPORTED_SLOPES = ["V_outer", "V_functional", "Q_outer", "Q_functional", "Q_full", "linear_Q", "preln_Q", "mlp"] as const;

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
    plot: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(USAGE);
  const base = flags["quick"] ? QUICK_SCALING : FULL_SCALING;
  const points = integerFlag("points", flags["points"], base.sigmas.length, 2);
  const backend = backendNamed(flags["backend"], "cpu");
  const options = {
    ...base,
    dModel: integerFlag("d-model", flags["d-model"], base.dModel),
    sigmas: logGrid(1e-2, 1e1, points),
    seeds: integerFlag("seeds", flags["seeds"], base.seeds),
    samples: integerFlag("samples", flags["samples"], base.samples),
    batch: integerFlag("batch", flags["batch"], base.batch),
    fitRange: [base.fitRange[0], positiveFlag("fit-max", flags["fit-max"], base.fitRange[1])] as const,
  };
  let result: ScalingResult;
  try {
    result = await scalingStudy({ ...options, backend, onProgress: (m) => io.progress(m) });
  } finally {
    await backend.dispose();
  }
  if (flags["plot"]) {
    const path = resolve(flags["plot"] as string);
    writeGrowthPlot(path, result);
    io.progress(`plot: ${path}`);
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
