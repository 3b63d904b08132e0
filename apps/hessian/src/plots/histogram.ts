import { type Series, chartGrid, lineChart, writeSvg } from "@unfold/plot";

export interface HistogramSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
}

export interface HistogramPanel {
  readonly title: string;
  readonly series: readonly HistogramSeries[];
}

/**
 * Histograms of |entry| on a log axis (zeros left out and counted in the legend), one panel per
 * model, the series overlaid as step outlines: H_VV against H_QQ, whose magnitudes sit decades
 * apart. The bins are shared by every panel, so the panels compare.
 */
export function writeHistograms(path: string, title: string, panels: readonly HistogramPanel[], bins = 40): void {
  const logs = panels.map((p) => p.series.map((s) => Array.from(s.values, Math.abs).filter((v) => v > 0).map(Math.log10)));
  let min = Infinity;
  let max = -Infinity;
  // A loop, not Math.min(...): a dense Hessian block has more entries than a call has arguments.
  for (const v of logs.flat(2)) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const lo = Number.isFinite(min) ? Math.floor(min) : -1;
  const hi = Number.isFinite(max) ? Math.max(Math.ceil(max), lo + 1) : 0;
  const width = (hi - lo) / bins;
  const edge = (b: number): number => 10 ** (lo + b * width);
  const charts = panels.map((panel, p) => {
    const series: Series[] = panel.series.map((s, k) => {
      const values = logs[p]![k]!;
      const fraction = new Array<number>(bins).fill(0);
      for (const v of values) fraction[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1 / values.length;
      const zeros = s.values.length - values.length;
      return {
        name: `${s.name}${zeros ? ` (${zeros} exact zeros)` : ""}`,
        x: fraction.flatMap((_, b) => [edge(b), edge(b + 1)]),
        y: fraction.flatMap((f) => [f, f]),
      };
    });
    return lineChart({ title: panel.title, xLabel: "|entry|", yLabel: "fraction of nonzero entries", series, logX: true, xDomain: [edge(0), edge(bins)], legend: true, width: 440, height: 340 });
  });
  writeSvg(path, chartGrid({ title, charts }));
}
