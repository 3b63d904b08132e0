import { type ScalingResult, type ScalingSeries, PREDICTED_SLOPES } from "@unfold/hessian";
import { type Series, PALETTE, chartGrid, lineChart, writeSvg } from "@unfold/plot";

const PANELS: readonly { readonly title: string; readonly series: readonly ScalingSeries[] }[] = [
  { title: "W_V block (softmax)", series: ["V_outer", "V_full"] },
  { title: "W_Q block (softmax)", series: ["Q_outer", "Q_functional", "Q_full"] },
  { title: "W_Q block: linear and pre-LN attention; deep linear MLP", series: ["linear_Q", "preln_Q", "mlp"] },
];

/**
 * Log-log growth curves ||H_block||_F against sigma, one panel per block, with each series'
 * predicted slope drawn dashed through its first point inside the fit range.
 */
export function writeGrowthPlot(path: string, result: ScalingResult): void {
  const xDomain = [Math.min(...result.sigmas), Math.max(...result.sigmas)] as const;
  const anchor = result.sigmas.findIndex((sigma) => result.fitSigmas.includes(sigma));
  const charts = PANELS.map((panel) => {
    // A block that is exactly zero at some sigma has no place on a log axis: it is left out
    // (a gap in its line), and a block zero everywhere says so in the legend.
    const norms = panel.series.map((s) => result.norms[s].map((v) => (v > 0 ? v : Number.NaN)));
    // The axis covers the measurements only; the predicted lines are clipped to it.
    const yDomain = decades(norms.flat().filter((v) => v > 0));
    const series: Series[] = panel.series.flatMap((s, k) => {
      const color = PALETTE[k % PALETTE.length]!;
      const zero = result.identicallyZero.includes(s) ? ", identically zero" : "";
      const measured: Series = { name: `${s}: slope ${result.slopes[s].toFixed(2)} (predicted ${PREDICTED_SLOPES[s]}${zero})`, x: result.sigmas, y: norms[k]!, color, markers: true };
      const a = norms[k]![anchor];
      if (anchor < 0 || a === undefined || !(a > 0)) return [measured];
      const at = (sigma: number): number => a * (sigma / result.sigmas[anchor]!) ** PREDICTED_SLOPES[s];
      return [measured, { name: `${s} predicted`, x: [...xDomain], y: xDomain.map(at), color, dashed: true, legend: false }];
    });
    return lineChart({ title: panel.title, xLabel: "sigma", yLabel: "||H_block||_F", series, logX: true, logY: true, xDomain, yDomain, legend: true, width: 440, height: 400 });
  });
  writeSvg(path, chartGrid({ title: "Hessian block norms against the data scale sigma (dashed: predicted slopes)", charts }));
}

/** Whole decades around the values (at least one), or undefined for none. */
function decades(values: readonly number[]): readonly [number, number] | undefined {
  if (values.length === 0) return undefined;
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...values))));
  return [10 ** low, 10 ** high];
}
