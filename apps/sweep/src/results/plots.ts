import { join } from "node:path";
import { type BarGroup, type Series, barChart, lineChart, writeSvg } from "@unfold/plot";
import type { AxisValue, SweepSpec } from "../spec/schema.js";
import { axisValues } from "../spec/expand.js";
import type { ResultRecord } from "../job/result.js";
import type { ResultRow } from "./collect.js";

/** The folder of the plots inside the sweep root. */
export const PLOTS_FOLDER = "plots";

/** At most this many lines in one plot (one per setting of the other axes); beyond, one line of the mean over them all. */
const MAX_SERIES = 8;

/** A plot's file name: <metric>-vs-<axis>.svg, characters outside [A-Za-z0-9_.-] as "_". */
export const plotFileName = (metric: string, axis: string): string => `${metric}-vs-${axis}.svg`.replace(/[^A-Za-z0-9_.-]/g, "_");

/**
 * plots/<metric>-vs-<axis>.svg for each metric and axis, from the done jobs: a numeric axis as a
 * line chart (the mean over repeats, one line per setting of the other axes, and a dot for each
 * run), any other axis as bars of the means. Returns the paths written.
 */
export function writePlots(sweepRoot: string, spec: SweepSpec, rows: readonly ResultRow[]): string[] {
  const done = rows.filter((r): r is ResultRecord => r.status === "done");
  if (done.length === 0) return [];
  const values = axisValues(spec);
  const paths: string[] = [];
  for (const metric of spec.metrics) {
    for (const axis of Object.keys(spec.axes)) {
      const others = Object.keys(spec.axes).filter((a) => a !== axis);
      const groupKey = (r: ResultRecord): string => others.map((a) => `${a}=${String(r.point[a])}`).join(", ");
      const keys = [...new Set(done.map(groupKey))];
      const grouped = keys.length <= MAX_SERIES;
      const groups = grouped ? keys.map((k) => ({ name: k || metric, runs: done.filter((r) => groupKey(r) === k) })) : [{ name: `mean over ${others.join(", ")}`, runs: done }];
      const xs = axisSeen(done, axis, spec.search === "grid" ? values[axis]! : []);
      const title = `${metric} against ${axis} (sweep ${spec.name})`;
      const path = join(sweepRoot, PLOTS_FOLDER, plotFileName(metric, axis));
      const numeric = xs.every((x) => typeof x === "number");
      if (numeric) {
        const nums = xs as number[];
        const series: Series[] = groups.map((g) => ({ name: g.name, x: nums, y: nums.map((x) => mean(g.runs.filter((r) => r.point[axis] === x).map((r) => r.metrics[metric]!))), markers: true }));
        // Every run as a lone dot: NaN between points breaks the line, and a lone point gets a dot.
        const each = done.flatMap((r) => [[r.point[axis] as number, r.metrics[metric]!], [Number.NaN, Number.NaN]]);
        series.push({ name: "each run", x: each.map((p) => p[0]!), y: each.map((p) => p[1]!), color: "#999999", legend: true });
        const spread = nums.length > 1 && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 100;
        const logX = spec.axes[axis]!.range?.scale === "log" || spread;
        writeSvg(path, lineChart({ title, xLabel: axis, yLabel: metric, series, logX, legend: true }));
      } else {
        const categories = xs.map(String);
        const bars: BarGroup[] = groups.map((g) => ({ name: g.name, values: xs.map((x) => mean(g.runs.filter((r) => r.point[axis] === x).map((r) => r.metrics[metric]!))) }));
        writeSvg(path, barChart({ title, xLabel: axis, yLabel: metric, categories, groups: bars, legend: bars.length > 1 }));
      }
      paths.push(path);
    }
  }
  return paths;
}

/** The axis values the done jobs took, in the grid's order (a random search: sorted). */
function axisSeen(done: readonly ResultRecord[], axis: string, order: readonly AxisValue[]): AxisValue[] {
  const seen = [...new Set(done.map((r) => r.point[axis]!))];
  if (order.length) return order.filter((v) => seen.includes(v));
  return seen.sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);
