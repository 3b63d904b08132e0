// The energy figure of a fixed-point run (energy.svg): the map's energy against solver iteration,
// from the starting state to convergence, over the run's energy inputs, before and after training.
import { type Series, lineChart, quartiles } from "@unfold/plot";
import type { FixedPointEnergyProfile } from "@unfold/training";

/** One curve group of the figure: a profile's summary by iteration. */
export interface FixedPointEnergyCurves {
  readonly name: string;
  /** Iterations 0..K (K: the longest solve). */
  readonly iterations: number[];
  /** Mean over the inputs of E(Y^k) - E(Y*), Y* the input's own fixed point (its last iterate). */
  readonly mean: number[];
  /** The quartiles of E(Y^k) - E(Y*) over the inputs: the spread. */
  readonly q1: number[];
  readonly q3: number[];
  /** Where the solves stopped: the mean of the inputs' iteration counts, and the range. */
  readonly stop: { readonly mean: number; readonly min: number; readonly max: number };
}

/** A profile's curves: every input's energy above its own fixed point's, summarised by iteration. */
export function fixedPointEnergyCurves(name: string, profile: FixedPointEnergyProfile): FixedPointEnergyCurves {
  // Rows are continued with their last value past their own stop, so the last entry is E(Y*).
  const gaps = profile.energies.map((row) => row.map((e) => e - row[row.length - 1]!));
  const length = profile.meanByLayer.length;
  const at = (k: number): number[] => gaps.map((row) => row[k]!);
  const spread = Array.from({ length }, (_, k) => quartiles(at(k)));
  const counts = profile.iterations;
  return {
    name,
    iterations: Array.from({ length }, (_, k) => k),
    mean: Array.from({ length }, (_, k) => at(k).reduce((a, b) => a + b, 0) / Math.max(1, gaps.length)),
    q1: spread.map((q) => q.q1),
    q3: spread.map((q) => q.q3),
    stop: { mean: counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length), min: Math.min(...counts), max: Math.max(...counts) },
  };
}

/**
 * The figure's SVG: per group the mean of E(Y^k) - E(Y*) (solid), its quartiles (dashed) and a
 * vertical line where the solves reached the tolerance on average (dotted, with the range in the
 * legend). Linear axes: every curve ends at 0, its own fixed point.
 */
export function fixedPointEnergyChart(groups: readonly FixedPointEnergyCurves[], inputs: number, tol: number, label: string): string {
  const top = Math.max(0, ...groups.flatMap((g) => [...g.mean, ...g.q3].filter(Number.isFinite)));
  const palette = ["#1f77b4", "#d62728"];
  const series: Series[] = groups.flatMap((g, i) => {
    const color = palette[i % palette.length]!;
    return [
      { name: `${g.name}: mean`, x: g.iterations, y: g.mean, color },
      { name: `${g.name}: quartiles`, x: g.iterations, y: g.q1, color, dashed: true },
      { name: `${g.name}: q3`, x: g.iterations, y: g.q3, color, dashed: true, legend: false },
      {
        name: `${g.name}: tol reached at iteration ${g.stop.mean.toFixed(1)} on average (${g.stop.min}-${g.stop.max})`,
        x: [g.stop.mean, g.stop.mean],
        y: [0, top],
        color,
        dashed: true,
        markers: true,
      },
    ];
  });
  return lineChart({
    title: `E(Y^k) - E(Y*) over ${inputs} test inputs, each solved to tol ${tol} (${label})`,
    xLabel: "solver iteration k",
    yLabel: "E(Y^k) - E(Y*)",
    series,
  });
}
