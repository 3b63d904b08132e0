import { makeAxis, project } from "./axis.js";
import { type Point, clipPolyline, contains } from "./clip.js";
import { type ChartOptions, drawFrame } from "./frame.js";
import { colorAt, element, polyline, svgDocument } from "./svg.js";

export interface Series {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly color?: string;
  readonly dashed?: boolean;
  /** A dot at every point (for short series, where the points themselves matter). */
  readonly markers?: boolean;
  /** false leaves the series out of the legend, e.g. reference lines the title explains. */
  readonly legend?: boolean;
}

export interface LineChartOptions extends ChartOptions {
  readonly series: readonly Series[];
  readonly logX?: boolean;
  /** Fixed axis bounds; by default the axes cover every finite point, widened to nice ticks. */
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
}

/**
 * A line chart as SVG text. A point whose x or y is NaN or infinite is skipped and breaks its
 * line (joining across a gap would draw values that were never measured); a point left alone
 * by such gaps gets a dot so it stays visible. Lines are clipped to the plot area when fixed
 * domains cut them.
 */
export function lineChart(options: LineChartOptions): string {
  const { title, series } = options;
  for (const s of series) checkSeries(title, s, options);
  const finitePairs = series.map((s) => s.x.map((x, i) => [x, s.y[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xAxis = makeAxis(finitePairs.flat().map(([x]) => x), { name: "x", log: options.logX, domain: options.xDomain, count: 6 });
  const yAxis = makeAxis(finitePairs.flat().map(([, y]) => y), { name: "y", log: options.logY, domain: options.yDomain, count: 5 });
  const showLegend = options.legend ?? series.length > 1;
  const legend = showLegend
    ? series.flatMap((s, k) => (s.legend === false ? [] : [{ name: s.name, color: colorAt(k, s.color), mark: s.dashed ? ("dashed" as const) : ("line" as const), dot: s.markers }]))
    : [];
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const frame = drawFrame({ width, height, title, xLabel: options.xLabel, yLabel: options.yLabel, x: { kind: "numeric", axis: xAxis }, y: yAxis, legend });
  const { plot } = frame;
  const toPixel = (x: number, y: number): Point => [project(xAxis, x, plot.left, plot.left + plot.width), project(yAxis, y, plot.top + plot.height, plot.top)];

  const data: string[] = [];
  series.forEach((s, k) => {
    const color = colorAt(k, s.color);
    const style = { class: "line", stroke: color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "6 4" : undefined, "stroke-linejoin": "round" };
    for (const run of finiteRuns(s)) {
      const points = run.map(([x, y]) => toPixel(x, y));
      for (const piece of clipPolyline(points, plot)) data.push(polyline(piece, style));
      const dots = s.markers || run.length === 1 ? points.filter((p) => contains(plot, p)) : [];
      for (const [cx, cy] of dots) data.push(element("circle", { class: "marker", cx, cy, r: 3, fill: color }));
    }
  });
  return svgDocument({ width, height, title, body: [...frame.under, ...data, ...frame.over] });
}

/** Runs of consecutive points with finite x and y. */
function finiteRuns(s: Series): (readonly [number, number])[][] {
  const runs: (readonly [number, number])[][] = [];
  let run: (readonly [number, number])[] = [];
  s.x.forEach((x, i) => {
    const y = s.y[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) run.push([x, y]);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  });
  if (run.length) runs.push(run);
  return runs;
}

function checkSeries(title: string, s: Series, options: LineChartOptions): void {
  const where = `lineChart "${title}": series "${s.name}"`;
  if (s.x.length !== s.y.length) throw new Error(`${where} has ${s.x.length} x values but ${s.y.length} y values`);
  const check = (values: readonly number[], axis: "x" | "y"): void => {
    const i = values.findIndex((v) => Number.isFinite(v) && v <= 0);
    if (i >= 0) throw new RangeError(`${where} has ${axis} = ${values[i]} at index ${i}, but a log ${axis} axis can only show positive values`);
  };
  if (options.logX) check(s.x, "x");
  if (options.logY) check(s.y, "y");
}
