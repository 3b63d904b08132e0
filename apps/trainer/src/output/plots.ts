import { join } from "node:path";
import { boxPlot, lineChart, writeSvg } from "@unfold/plot";
import { readMetrics } from "../report/metrics.js";
import { type EnergyProfile, aboveMinimum, isFixedPointProfile } from "@unfold/training";
import { fixedPointEnergyChart, fixedPointEnergyCurves } from "./fixed-point-energy.js";

/**
 * The figures a run writes into its output directory: loss, accuracy, and (energy models) the
 * energy by layer, or for a fixed-point model by solver iteration to convergence.
 */
export const PLOT_FILES = ["loss.svg", "accuracy.svg", "energy.svg"] as const;
const [LOSS_FILE, ACCURACY_FILE, ENERGY_FILE] = PLOT_FILES;

export interface PlotPaths {
  readonly loss: string;
  readonly accuracy: string;
  readonly energy?: string;
}

/** Mean over a trailing window: per-batch losses are noisy, the trend is what a reader wants. */
function smooth(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

interface MetricRecord {
  readonly step: number;
  readonly loss?: number;
  readonly accuracy?: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
}

/**
 * Loss and accuracy curves from the run's metrics file (the whole run, across resumes), and the
 * energy figure. Each is written by temp file and rename (writeSvg), so a symlink planted at a
 * figure's path is replaced, never followed out of the output directory.
 */
export function writePlots(outDir: string, metricsPath: string, energy: { before?: EnergyProfile; after?: EnergyProfile; label: string }): PlotPaths {
  const records = readMetrics(metricsPath) as MetricRecord[];
  const train = records.filter((r) => typeof r.loss === "number");
  const test = records.filter((r) => typeof r.testAccuracy === "number");
  const window = Math.max(1, Math.round(train.length / 100));
  const steps = train.map((r) => r.step);
  const testSteps = test.map((r) => r.step);
  const paths: { loss: string; accuracy: string; energy?: string } = { loss: join(outDir, LOSS_FILE), accuracy: join(outDir, ACCURACY_FILE) };
  writeSvg(
    paths.loss,
    lineChart({
      title: "Cross-entropy",
      xLabel: "step",
      yLabel: "loss",
      logY: train.every((r) => r.loss! > 0) && test.every((r) => (r.testLoss ?? 1) > 0),
      series: [
        { name: `train (mean of ${window} steps)`, x: steps, y: smooth(train.map((r) => r.loss!), window) },
        { name: "test", x: testSteps, y: test.map((r) => r.testLoss ?? Number.NaN) },
      ],
    }),
  );
  writeSvg(
    paths.accuracy,
    lineChart({
      title: "Accuracy",
      xLabel: "step",
      yLabel: "accuracy (%)",
      series: [
        { name: `train batches (mean of ${window} steps)`, x: steps, y: smooth(train.map((r) => 100 * (r.accuracy ?? Number.NaN)), window) },
        { name: "test", x: testSteps, y: test.map((r) => 100 * r.testAccuracy!) },
      ],
    }),
  );
  const profile = energy.after ?? energy.before;
  if (profile && isFixedPointProfile(profile)) {
    const groups = [
      ...(energy.before && isFixedPointProfile(energy.before) ? [fixedPointEnergyCurves("before training", energy.before)] : []),
      ...(energy.after && isFixedPointProfile(energy.after) ? [fixedPointEnergyCurves("after training", energy.after)] : []),
    ];
    paths.energy = join(outDir, ENERGY_FILE);
    writeSvg(paths.energy, fixedPointEnergyChart(groups, profile.energies.length, profile.tol, energy.label));
  } else if (energy.before || energy.after) {
    const layers = (energy.after ?? energy.before)!.meanByLayer.length;
    const groups = [
      ...(energy.before ? [{ name: "before training", profile: energy.before }] : []),
      ...(energy.after ? [{ name: "after training", profile: energy.after }] : []),
    ].map(({ name, profile }) => {
      const shifted = aboveMinimum(profile.energies);
      return { name, samples: Array.from({ length: layers }, (_, t) => shifted.map((row) => row[t]!)) };
    });
    paths.energy = join(outDir, ENERGY_FILE);
    writeSvg(
      paths.energy,
      boxPlot({
        title: `E(Y^t) - E_min over ${(energy.after ?? energy.before)!.energies.length} test inputs (${energy.label})`,
        xLabel: "layer t",
        yLabel: "E(Y^t) - E_min",
        categories: Array.from({ length: layers }, (_, t) => String(t)),
        groups,
      }),
    );
  }
  return paths;
}
