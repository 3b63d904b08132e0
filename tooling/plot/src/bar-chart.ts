import { makeAxis, project } from "./axis.js";
import { type ChartOptions, drawFrame } from "./frame.js";
import { colorAt, element, line, svgDocument } from "./svg.js";

export interface BarGroup {
  readonly name: string;
  readonly color?: string;
  /** One value per category; NaN (or any non-finite value) leaves that bar out. */
  readonly values: readonly number[];
}

export interface BarChartOptions extends ChartOptions {
  readonly categories: readonly string[];
  readonly groups: readonly BarGroup[];
  /**
   * Where bars start: 0 on a linear axis by default, the bottom of the axis on a log one. A
   * ratio chart wants 1 here, so bars above and below parity point in opposite directions;
   * a baseline inside the plot is drawn as a dark line.
   */
  readonly baseline?: number;
}

/** The least height a drawn bar gets, in pixels. */
const MIN_BAR_PX = 3;

/** Grouped bars: one cluster per category, one bar per group within it. */
export function barChart(options: BarChartOptions): string {
  const { title, categories, groups } = options;
  const log = options.logY ?? false;
  for (const g of groups) {
    if (g.values.length !== categories.length) throw new Error(`barChart "${title}": group "${g.name}" has ${g.values.length} values for ${categories.length} categories`);
    const bad = log ? g.values.findIndex((v) => Number.isFinite(v) && v <= 0) : -1;
    if (bad >= 0) throw new RangeError(`barChart "${title}": group "${g.name}", category "${categories[bad]}" has the value ${g.values[bad]}, but a log y axis can only show positive values`);
  }
  if (options.baseline !== undefined && (!Number.isFinite(options.baseline) || (log && options.baseline <= 0))) {
    throw new RangeError(`barChart "${title}": baseline ${options.baseline} cannot be shown on a ${log ? "log" : "linear"} y axis`);
  }
  const values = groups.flatMap((g) => g.values.filter(Number.isFinite));
  const yAxis = makeAxis([...values, ...(options.baseline !== undefined ? [options.baseline] : log ? [] : [0])], { name: "y", log });
  const baseline = options.baseline ?? (log ? yAxis.lo : 0);
  const showLegend = options.legend ?? groups.length > 1;
  const legend = showLegend ? groups.map((g, gi) => ({ name: g.name, color: colorAt(gi, g.color), mark: "box" as const })) : [];
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const frame = drawFrame({ width, height, title, xLabel: options.xLabel, yLabel: options.yLabel, x: { kind: "categories", names: categories }, y: yAxis, legend });
  const { plot } = frame;
  const py = (v: number): number => project(yAxis, v, plot.top + plot.height, plot.top);
  const band = plot.width / Math.max(1, categories.length);
  const barWidth = (band * 0.8) / Math.max(1, groups.length);
  const base = py(baseline);

  const data: string[] = [];
  groups.forEach((g, gi) => {
    const color = colorAt(gi, g.color);
    g.values.forEach((v, c) => {
      if (!Number.isFinite(v)) return;
      const x = plot.left + c * band + band * 0.1 + gi * barWidth;
      const y = py(v);
      // A bar shorter than 3 px would be invisible or nearly so: it gets 3 px, on its own side of
      // the baseline (a value exactly at the baseline straddles it), so a bar that is there is
      // never mistaken for one that is missing, and its direction still shows.
      const short = Math.abs(base - y) < MIN_BAR_PX;
      const top = !short ? Math.min(y, base) : y < base ? base - MIN_BAR_PX : y > base ? base : base - MIN_BAR_PX / 2;
      const tall = short ? MIN_BAR_PX : Math.abs(base - y);
      data.push(element("rect", { class: "bar", x: x + 0.5, y: top, width: Math.max(0, barWidth - 1), height: tall, fill: color }));
    });
  });
  if (base > plot.top && base < plot.top + plot.height) data.push(line(plot.left, base, plot.left + plot.width, base, { class: "baseline", stroke: "#333" }));
  return svgDocument({ width, height, title, body: [...frame.under, ...data, ...frame.over] });
}
