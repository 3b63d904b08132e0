import { makeAxis, project } from "./axis.js";
import { type ChartOptions, drawFrame } from "./frame.js";
import { type BoxStats, boxStats } from "./stats.js";
import { colorAt, element, line, svgDocument } from "./svg.js";

export interface BoxGroup {
  readonly name: string;
  readonly color?: string;
  /** One sample per category; may be empty. */
  readonly samples: readonly (readonly number[])[];
}

export interface BoxPlotOptions extends ChartOptions {
  readonly categories: readonly string[];
  readonly groups: readonly BoxGroup[];
  /** Whisker reach in interquartile ranges (Tukey's 1.5 by default). */
  readonly whisker?: number;
}

/**
 * Box plots per category (x), the groups side by side within a category (e.g. "before
 * training" / "after training"): a box from q1 to q3, a line at the median, whiskers to the
 * last values within 1.5 IQR of the box, the values beyond as open dots.
 *
 * - NaN and infinite values are skipped; the legend says how many a group lost.
 * - An empty sample draws nothing in its slot.
 * - With logY every finite value must be positive (anything else is an error naming the group
 *   and the category, never clamped), and the statistics are taken over log10 of the values,
 *   so the 1.5 IQR rule applies to the distances the reader sees.
 */
export function boxPlot(options: BoxPlotOptions): string {
  const { title, categories, groups } = options;
  const log = options.logY ?? false;
  const skipped = groups.map(() => 0);
  const stats: (BoxStats | undefined)[][] = groups.map((g, gi) => {
    if (g.samples.length !== categories.length) {
      throw new Error(`boxPlot "${title}": group "${g.name}" has ${g.samples.length} samples for ${categories.length} categories (give an empty sample for a category it lacks)`);
    }
    return g.samples.map((sample, c) => {
      const finite = sample.filter(Number.isFinite);
      skipped[gi]! += sample.length - finite.length;
      const bad = log ? finite.find((v) => v <= 0) : undefined;
      if (bad !== undefined) throw new RangeError(`boxPlot "${title}": group "${g.name}", category "${categories[c]}" has the value ${bad}, but a log y axis can only show positive values`);
      if (finite.length === 0) return undefined;
      const s = boxStats(log ? finite.map(Math.log10) : finite, options.whisker ?? 1.5);
      return log ? inLinearSpace(s) : s;
    });
  });
  const extremes = stats.flat().flatMap((s) => (s ? [s.min, s.max] : []));
  const yAxis = makeAxis(extremes, { name: "y", log });
  const showLegend = options.legend ?? groups.length > 1;
  const legend = showLegend
    ? groups.map((g, gi) => ({ name: skipped[gi] ? `${g.name} (${skipped[gi]} non-finite skipped)` : g.name, color: colorAt(gi, g.color), mark: "box" as const }))
    : [];
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const frame = drawFrame({ width, height, title, xLabel: options.xLabel, yLabel: options.yLabel, x: { kind: "categories", names: categories }, y: yAxis, legend });
  const { plot } = frame;
  const py = (v: number): number => project(yAxis, v, plot.top + plot.height, plot.top);
  const band = plot.width / Math.max(1, categories.length);
  // Groups share 80% of a band; a box fills 70% of its slot, so neighbours never touch.
  const slot = (band * 0.8) / Math.max(1, groups.length);
  const boxWidth = slot * 0.7;

  const data: string[] = [];
  stats.forEach((row, gi) => {
    const color = colorAt(gi, groups[gi]!.color);
    row.forEach((s, c) => {
      if (!s) return;
      const cx = plot.left + c * band + band * 0.1 + (gi + 0.5) * slot;
      const x0 = cx - boxWidth / 2;
      const x1 = cx + boxWidth / 2;
      const stroke = { stroke: color, "stroke-width": 1.5 };
      const whisker = { class: "whisker", ...stroke };
      data.push(
        line(cx, py(s.q3), cx, py(s.whiskerHigh), whisker),
        line(cx, py(s.q1), cx, py(s.whiskerLow), whisker),
        line(cx - boxWidth / 4, py(s.whiskerHigh), cx + boxWidth / 4, py(s.whiskerHigh), whisker),
        line(cx - boxWidth / 4, py(s.whiskerLow), cx + boxWidth / 4, py(s.whiskerLow), whisker),
        element("rect", { class: "box", x: x0, y: py(s.q3), width: boxWidth, height: py(s.q1) - py(s.q3), fill: color, "fill-opacity": "0.25", ...stroke }),
        line(x0, py(s.median), x1, py(s.median), { class: "median", stroke: color, "stroke-width": 2.5 }),
      );
      for (const o of s.outliers) data.push(element("circle", { class: "outlier", cx, cy: py(o), r: 2.5, fill: "none", stroke: color }));
    });
  });
  return svgDocument({ width, height, title, body: [...frame.under, ...data, ...frame.over] });
}

/** Statistics taken over log10 values, mapped back to the values themselves. */
function inLinearSpace(s: BoxStats): BoxStats {
  // 10^log10(v) can round past the largest double.
  const up = (v: number): number => Math.min(10 ** v, Number.MAX_VALUE);
  return {
    min: up(s.min),
    q1: up(s.q1),
    median: up(s.median),
    q3: up(s.q3),
    max: up(s.max),
    whiskerLow: up(s.whiskerLow),
    whiskerHigh: up(s.whiskerHigh),
    outliers: s.outliers.map(up),
    count: s.count,
  };
}
