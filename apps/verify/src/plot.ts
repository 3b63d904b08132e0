import { PALETTE, chartGrid, lineChart, writeSvg } from "@unfold/plot";

export { writeFileAtomically as writeAtomically } from "@unfold/plot";

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

/**
 * Line charts side by side, one panel per series (energies of different terms live on
 * different scales), x = the value's index (the layer), as an SVG document ending in a newline.
 */
export function linePlotSvg(title: string, xLabel: string, series: readonly Series[]): string {
  const charts = series.map((s, k) =>
    lineChart({
      title: s.name,
      xLabel,
      yLabel: "",
      series: [{ name: s.name, x: s.values.map((_, i) => i), y: s.values, color: PALETTE[k % PALETTE.length], markers: true }],
      legend: false,
      width: 380,
      height: 300,
    }),
  );
  const svg = chartGrid({ title, charts });
  return svg.endsWith("\n") ? svg : `${svg}\n`;
}

/** linePlotSvg written to `path`, atomically. */
export function writeLinePlot(path: string, title: string, xLabel: string, series: readonly Series[]): void {
  writeSvg(path, linePlotSvg(title, xLabel, series));
}
