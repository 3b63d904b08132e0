import { type Axis, project } from "./axis.js";
import type { Rect } from "./clip.js";
import { px, textWidth } from "./format.js";
import { element, line, text } from "./svg.js";

export interface LegendEntry {
  readonly name: string;
  readonly color: string;
  readonly mark: "line" | "dashed" | "box";
  /** A dot on the line mark, for series drawn with markers. */
  readonly dot?: boolean;
}

export type XAxisSpec = { readonly kind: "numeric"; readonly axis: Axis } | { readonly kind: "categories"; readonly names: readonly string[] };

/** What every chart takes: its titles, a log y axis, the legend's visibility and the size. */
export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  /** Default: shown when there is more than one series or group. */
  readonly legend?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export interface FrameSpec {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: XAxisSpec;
  readonly y: Axis;
  readonly legend: readonly LegendEntry[];
}

/** A laid-out chart: the plot rectangle, what goes under the data (grid) and over it (axes, legend). */
export interface Frame {
  readonly plot: Rect;
  readonly under: string[];
  readonly over: string[];
}

const TICK = 4;
const LEGEND_ROW = 16;
const CATEGORY_ANGLE = 35;
const CATEGORY_MAX = 160;

/**
 * Margins are sized from the labels actually drawn (the widest y tick label, the legend's rows,
 * slanted category names), so long labels push the plot inward instead of running off the edge.
 */
export function drawFrame(spec: FrameSpec): Frame {
  const { width, height } = spec;
  const yTickWidth = Math.max(0, ...spec.y.ticks.map((t) => textWidth(t.label)));
  const lastX = spec.x.kind === "numeric" ? spec.x.axis.ticks.at(-1)?.label ?? "" : "";
  const right = Math.max(16, textWidth(lastX) / 2 + 6);
  const top = spec.title ? 42 : 14;
  let left = (spec.yLabel ? 24 : 6) + yTickWidth + TICK + 6;
  const categoryLabels = spec.x.kind === "categories" ? layoutCategories(spec.x.names, Math.max(20, width - left - right)) : undefined;
  if (categoryLabels?.slanted) {
    // The first slanted name reaches left of its band: make room so it is not cut at the edge.
    const reach = textWidth(categoryLabels.labels[0] ?? "") * Math.cos((CATEGORY_ANGLE * Math.PI) / 180);
    left = Math.max(left, reach - (width - left - right) / categoryLabels.labels.length / 2 + 6);
  }
  const plotWidth = Math.max(20, width - left - right);

  const xAxisBlock = 20 + (categoryLabels?.extra ?? 0) + (spec.xLabel ? 18 : 0);
  const legendRows = flowLegend(spec.legend, plotWidth);
  const legendBlock = legendRows.length ? legendRows.length * LEGEND_ROW + 6 : 0;
  const plotHeight = Math.max(20, height - top - xAxisBlock - legendBlock - 6);
  const plot: Rect = { left, top, width: plotWidth, height: plotHeight };
  const bottom = top + plotHeight;

  const under: string[] = [];
  const over: string[] = [element("rect", { class: "plot-area", x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#888" })];
  for (const t of spec.y.ticks) {
    const y = project(spec.y, t.value, bottom, top);
    under.push(line(left, y, left + plotWidth, y, { stroke: "#e6e6e6" }));
    over.push(line(left - TICK, y, left, y, { stroke: "#888" }), text(left - TICK - 3, y + 4, t.label, { "text-anchor": "end" }));
  }
  for (const v of spec.y.minor) {
    const y = project(spec.y, v, bottom, top);
    over.push(line(left - TICK / 2, y, left, y, { stroke: "#888" }));
  }
  if (spec.x.kind === "numeric") {
    const axis = spec.x.axis;
    for (const t of axis.ticks) {
      const x = project(axis, t.value, left, left + plotWidth);
      under.push(line(x, top, x, bottom, { stroke: "#e6e6e6" }));
      over.push(line(x, bottom, x, bottom + TICK, { stroke: "#888" }), text(x, bottom + TICK + 13, t.label, { "text-anchor": "middle" }));
    }
    for (const v of axis.minor) {
      const x = project(axis, v, left, left + plotWidth);
      over.push(line(x, bottom, x, bottom + TICK / 2, { stroke: "#888" }));
    }
  } else {
    const band = plotWidth / Math.max(1, spec.x.names.length);
    spec.x.names.forEach((_, i) => {
      const x = left + (i + 0.5) * band;
      const label = categoryLabels!.labels[i]!;
      if (categoryLabels!.slanted) {
        const y = bottom + TICK + 10;
        over.push(text(x, y, label, { "text-anchor": "end", transform: `rotate(-${CATEGORY_ANGLE} ${px(x)} ${px(y)})` }));
      } else {
        over.push(text(x, bottom + TICK + 13, label, { "text-anchor": "middle" }));
      }
      if (i > 0) under.push(line(left + i * band, top, left + i * band, bottom, { stroke: "#f0f0f0" }));
    });
  }
  if (spec.xLabel) over.push(text(left + plotWidth / 2, bottom + xAxisBlock - 4, spec.xLabel, { "text-anchor": "middle" }));
  if (spec.yLabel) {
    const y = top + plotHeight / 2;
    over.push(text(14, y, spec.yLabel, { "text-anchor": "middle", transform: `rotate(-90 14 ${px(y)})` }));
  }
  legendRows.forEach((row, r) => {
    const y = bottom + xAxisBlock + 6 + r * LEGEND_ROW + 10;
    for (const { entry, x } of row) over.push(...legendMark(entry, left + x, y));
  });
  return { plot, under, over };
}

function legendMark(entry: LegendEntry, x: number, y: number): string[] {
  const mark =
    entry.mark === "box"
      ? element("rect", { x, y: y - 9, width: 14, height: 10, fill: entry.color, "fill-opacity": "0.3", stroke: entry.color })
      : line(x, y - 4, x + 20, y - 4, { stroke: entry.color, "stroke-width": 2, "stroke-dasharray": entry.mark === "dashed" ? "6 4" : undefined });
  const dot = entry.dot ? [element("circle", { cx: x + 10, cy: y - 4, r: 3, fill: entry.color })] : [];
  return [mark, ...dot, text(x + 26, y, entry.name)];
}

/** Legend entries flowed into rows that fit the plot's width; each entry at least on its own row. */
function flowLegend(entries: readonly LegendEntry[], room: number): { entry: LegendEntry; x: number }[][] {
  const rows: { entry: LegendEntry; x: number }[][] = [];
  let row: { entry: LegendEntry; x: number }[] = [];
  let x = 0;
  for (const entry of entries) {
    const w = 26 + textWidth(entry.name) + 18;
    if (row.length && x + w > room) {
      rows.push(row);
      row = [];
      x = 0;
    }
    row.push({ entry, x });
    x += w;
  }
  if (row.length) rows.push(row);
  return rows;
}

/** Category names slant when any is wider than its band; very long ones are shortened with an ellipsis. */
function layoutCategories(names: readonly string[], plotWidth: number): { labels: string[]; slanted: boolean; extra: number } {
  const band = plotWidth / Math.max(1, names.length);
  const slanted = names.some((n) => textWidth(n) > band - 4);
  if (!slanted) return { labels: [...names], slanted, extra: 0 };
  const maxChars = Math.floor(CATEGORY_MAX / textWidth("x"));
  const labels = names.map((n) => (n.length > maxChars ? `${n.slice(0, maxChars - 1)}\u2026` : n));
  const longest = Math.max(...labels.map((l) => textWidth(l)));
  return { labels, slanted, extra: longest * Math.sin((CATEGORY_ANGLE * Math.PI) / 180) };
}
