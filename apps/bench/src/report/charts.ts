/**
 * Bar charts of each engine's speed relative to the fastest peer library, one per workload,
 * for the Markdown report. The y axis is logarithmic around a baseline at 1 (the best peer):
 * ratios span roughly 0.05x to 20x, and on a log axis 2x faster and 2x slower are bars of the
 * same length pointing opposite ways.
 */
import { basename, join } from "node:path";
import { makeDirectory } from "@unfold/files";
import { PALETTE, barChart } from "@unfold/plot";
import { writeOutputFile } from "./output.js";
import type { BenchRow } from "../runner.js";

export interface NamedChart {
  /** A file name, no directory: "ratio-unfold-forward.svg". */
  readonly name: string;
  readonly svg: string;
}

export const RATIO_Y_LABEL = "speed vs the fastest peer (x)";

/** Values in first-appearance order, without repeats: the run's own order of sizes and engines. */
function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A ratio a log axis can draw; anything else (null, 0, from a corrupt file) leaves its bar out. */
const drawable = (ratio: number | null): ratio is number => ratio !== null && Number.isFinite(ratio) && ratio > 0;

/**
 * One chart per workload where some row has a ratio: the workload's sizes along x, one bar per
 * engine in each. Engines without a single ratio in a workload (the skipped reference, an
 * unsupported peer) are left out of its legend. An engine keeps one color across all charts.
 */
export function ratioCharts(rows: readonly BenchRow[]): NamedChart[] {
  const allEngines = distinct(rows.map((r) => r.engine));
  const colorOf = (engine: string): string => PALETTE[allEngines.indexOf(engine) % PALETTE.length] ?? "#333";
  const charts: NamedChart[] = [];
  for (const workload of distinct(rows.map((r) => r.workload))) {
    const ofWorkload = rows.filter((r) => r.workload === workload);
    if (!ofWorkload.some((r) => drawable(r.ratioVsBestPeer))) continue;
    const sizes = distinct(ofWorkload.map((r) => r.size));
    const engines = distinct(ofWorkload.filter((r) => drawable(r.ratioVsBestPeer)).map((r) => r.engine));
    const groups = engines.map((engine) => ({
      name: engine,
      color: colorOf(engine),
      values: sizes.map((size) => {
        const ratio = ofWorkload.find((r) => r.size === size && r.engine === engine)?.ratioVsBestPeer ?? null;
        return drawable(ratio) ? ratio : Number.NaN;
      }),
    }));
    const svg = barChart({
      title: `${workload}: speed relative to the fastest peer`,
      xLabel: "size",
      yLabel: RATIO_Y_LABEL,
      categories: sizes,
      groups,
      baseline: 1,
      logY: true,
      // One engine still needs its name shown: the chart says whose bars they are.
      legend: true,
    });
    charts.push({ name: `ratio-${workload.replace(/[^A-Za-z0-9_-]+/g, "-")}.svg`, svg });
  }
  return charts;
}

/**
 * Writes each chart into `dir` (created if missing, one component at a time: a recursive mkdir
 * never returns on some impossible paths), atomically; returns the paths written, in order.
 * `label` names what gave the folder (--out) in the errors.
 */
export async function writeCharts(dir: string, charts: readonly NamedChart[], label = "writeCharts"): Promise<string[]> {
  // Checked before anything is written: a name with a directory in it would write outside `dir`.
  for (const { name } of charts) {
    if (name === "" || name === "." || name === ".." || basename(name) !== name) throw new Error(`writeCharts: chart name "${name}" must be a plain file name`);
  }
  makeDirectory(dir, label);
  return charts.map(({ name, svg }) => {
    const path = join(dir, name);
    writeOutputFile(label, path, svg.endsWith("\n") ? svg : `${svg}\n`);
    return path;
  });
}
