import { type CommandIO, fixed, formatAlignedTable } from "@unfold/cli";
import type { PlotPaths } from "../output/plots.js";
import type { CrateLayerFigures } from "../report/crate-layers.js";
import { fixedPointEnergyLines } from "../report/fixed-point.js";
import { isFixedPointProfile } from "@unfold/training";
import type { TrainRun } from "../train/loop.js";

/** The --json object: the last line of a run's output. */
export interface TrainSummary {
  readonly model: string;
  readonly backend: string;
  readonly testAccuracy: number;
  readonly trainSeconds: number;
  /**
   * Mean over the energy inputs of E(Y^t), t = 0..K, after training ([] for the baseline); for a
   * fixed-point model, by solver iteration, each input's row continued with its fixed point's energy.
   */
  readonly energyByLayer: number[];
  /** (input, layer) pairs whose layer raised its energy, after training. */
  readonly energyIncreases: number;
  readonly checkpoint: string;
  readonly onnx: string | null;
  /**
   * CRATE runs only (absent for other models): by layer (0: the embedding), means over `inputs`
   * test inputs of the compression term R^c after MSSA and the non-zero share after ISTA, before
   * and after training; the figures of coding-rate.svg, sparsity.svg and crate-layers.json.
   */
  readonly crateLayers?: CrateLayerFigures;
}

/** The --json object of a finished run; `crateLayers`: a CRATE run's layer figures (see reportCrateLayers). */
export function summarize(run: TrainRun, onnx: string | null, crateLayers?: CrateLayerFigures): TrainSummary {
  return {
    model: run.model.kind,
    backend: run.config.backend,
    testAccuracy: run.test.accuracy,
    trainSeconds: Number(run.trainSeconds.toFixed(3)),
    energyByLayer: run.energyAfter?.meanByLayer ?? [],
    energyIncreases: run.energyAfter?.increases ?? 0,
    checkpoint: run.checkpoint,
    onnx,
    ...(crateLayers ? { crateLayers } : {}),
  };
}

/**
 * What a person reads at the end of a run: accuracy, the energy-by-layer table (a fixed-point
 * model: the solver's iterations to convergence, its energy by iteration being energy.svg), where things went.
 */
export function printRun(io: CommandIO, run: TrainRun, plots: PlotPaths, onnx: string | null): void {
  const { config, task } = run;
  io.out(`model: ${run.model.describe()}`);
  io.out(`task: ${task.name} (${task.trainCount} train / ${task.testCount} test); backend ${config.backend}, ${config.dtype}`);
  io.out(
    `${run.interrupted ? "stopped" : "trained"} ${run.step}/${run.totalSteps} steps in ${run.trainSeconds.toFixed(1)} s: ` +
      `test accuracy ${(100 * run.test.accuracy).toFixed(2)}% (${run.test.correct}/${run.test.labelled}), test loss ${run.test.loss.toFixed(4)}`,
  );
  const { energyBefore: before, energyAfter: after } = run;
  if (after && isFixedPointProfile(after)) {
    io.out("");
    for (const line of fixedPointEnergyLines(before, after)) io.out(line);
  } else if (after) {
    const inputs = after.energies.length;
    io.out("");
    io.out(`energy by layer: mean E(Y^t) over ${inputs} test inputs`);
    const rows = after.meanByLayer.map((e, t) => [String(t), before ? fixed(before.meanByLayer[t]!, 4) : "", fixed(e, 4)]);
    io.out(formatAlignedTable(["t", "before training", "after training"], rows, [true, true, true]));
    const pairs = inputs * run.model.layers;
    io.out(`energy increases after training: ${after.increases} of ${pairs} (input, layer) pairs${before ? `; before: ${before.increases}` : ""}`);
  }
  io.out("");
  io.out(`plots: ${[plots.loss, plots.accuracy, plots.energy].filter(Boolean).join(", ")}`);
  io.out(`metrics: ${run.metricsPath}`);
  io.out(`checkpoint: ${run.checkpoint}`);
  if (onnx) io.out(`onnx: ${onnx}`);
}
