/**
 * A bench run as a Markdown report: one table per workload, the counted work, the engines'
 * descriptions, the comparison with an earlier run and the charts. The output depends only on
 * the input (no clock is read), so a report regenerated from the same results is byte-identical
 * and diffs of committed reports show only what changed.
 */
import { basename, extname } from "node:path";
import type { BenchRow } from "../runner.js";
import { type Comparison, formatChange, formatThreshold, summarizeComparison } from "./compare.js";

export interface MarkdownReportInput {
  readonly rows: readonly BenchRow[];
  /** Counted work of one run of each workload at each size. */
  readonly work?: readonly { readonly workload: string; readonly size: string; readonly flops: number }[];
  /** One description line per engine (Engine.describe()). */
  readonly engines?: readonly string[];
  readonly comparison?: Comparison;
  /** Default "Benchmark results". */
  readonly title?: string;
  /** Printed under the title as given; left out when absent. */
  readonly generatedAt?: string;
  /** Paths of SVG files, relative to the report, embedded as images. */
  readonly charts?: readonly string[];
  /** How long the whole run took, in seconds. */
  readonly elapsedSeconds?: number;
  /** The run's relErr tolerance; with it the report explains its columns. */
  readonly tolerance?: number;
}

/**
 * A number of milliseconds (or GFLOP/s): two decimals from 1 up, three significant digits below
 * (0.0123, not 0.01; 0.500, as 1.00 keeps its zeros), "-" for none.
 */
export function formatMs(x: number | null): string {
  if (x === null || Number.isNaN(x)) return "-";
  if (x === 0) return "0";
  return Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** A relative error in exponent form: 1.1e-6. */
export function formatRelErr(x: number | null): string {
  if (x === null || Number.isNaN(x)) return "-";
  return x === 0 ? "0" : x.toExponential(1);
}

/** Megabytes: one decimal, "-" for none. */
export function formatMegabytes(x: number | null): string {
  return x === null || Number.isNaN(x) ? "-" : x.toFixed(1);
}

/** A speed ratio: 1.66x. */
export function formatRatio(x: number | null): string {
  return x === null || Number.isNaN(x) ? "-" : `${formatMs(x)}x`;
}

/** GFLOP of counted work: three decimals, exponent form for tiny counts (as the terminal table). */
function formatGflop(flops: number): string {
  const gflop = flops / 1e9;
  return gflop >= 0.01 ? gflop.toFixed(3) : gflop.toExponential(2);
}

/**
 * Text safe in a table cell: a pipe would end the cell and a newline the row. Backslashes are
 * escaped first so that a note's own "\|" stays literal.
 */
export function escapeCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(header: readonly string[], right: readonly boolean[], rows: readonly (readonly string[])[]): string[] {
  const rule = right.map((r) => (r ? "---:" : "---"));
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(rule), ...rows.map((r) => line(r.map(escapeCell)))];
}

/** Workloads in the order their first row appears (the run's order), each with its rows. */
function byWorkload(rows: readonly BenchRow[]): Map<string, BenchRow[]> {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const group = groups.get(row.workload);
    if (group) group.push(row);
    else groups.set(row.workload, [row]);
  }
  return groups;
}

function workloadTable(rows: readonly BenchRow[]): string[] {
  const header = ["size", "engine", "median ms", "min", "max", "MAD", "GFLOP/s", "relErr", "vs best peer", "heap MB", "pool MB", "note"];
  const right = [false, false, true, true, true, true, true, true, true, true, true, false];
  const cells = rows.map((r) => [
    r.size,
    r.engine,
    formatMs(r.medianMs),
    formatMs(r.minMs),
    formatMs(r.maxMs),
    // Older result files have no MAD.
    formatMs(r.madMs ?? null),
    formatMs(r.gflops),
    formatRelErr(r.relErr),
    formatRatio(r.ratioVsBestPeer),
    // Older result files have no memory figures.
    formatMegabytes(r.heapMB ?? null),
    formatMegabytes(r.poolMB ?? null),
    r.note ?? "",
  ]);
  return table(header, right, cells);
}

function comparisonSection(c: Comparison): string[] {
  const header = ["workload", "size", "engine", "before ms", "after ms", "change", "threshold", "verdict", "note"];
  const right = [false, false, false, true, true, true, true, false, false];
  const cells = c.entries.map((e) => [
    e.workload,
    e.size,
    e.engine,
    formatMs(e.beforeMs),
    formatMs(e.afterMs),
    formatChange(e.change),
    formatThreshold(e.threshold),
    // Bold, so a regression stands out in a long rendered table.
    e.verdict === "regression" ? "**regression**" : e.verdict,
    e.note ?? "",
  ]);
  return ["## Comparison with the earlier run", "", summarizeComparison(c) + ".", "", ...table(header, right, cells)];
}

/**
 * What the tables' less obvious columns mean, for the terminal table and the report alike.
 * `tolerance` is the relErr above which a float32 result counts as wrong.
 */
export function columnNotes(tolerance: number): string[] {
  return [
    "MAD: the median absolute deviation of the timed runs from their median (one outlier does not move it).",
    "relErr: the largest ||out - ref|| / ||ref|| over the outputs, against the float64 reference interpreter on the same inputs.",
    `vs best peer: the fastest peer's median over this row's median; a peer whose relErr is above ${tolerance} is no baseline.`,
    "heap MB: growth of the JavaScript heap (V8's heap, and the ArrayBuffers and non-shared WebAssembly memories it accounts for) " +
      "while the engine alone prepared and checked the workload, over a baseline taken after a full collection. It is sampled after " +
      "prepare, after the check and every 2 ms while the engine waits, so it is a lower bound on the peak, and it includes garbage not " +
      "yet collected. A WebAssembly memory never shrinks, so an engine whose memory an earlier row grew shows little here, and shared " +
      "WebAssembly memories (unfold-cpu's, onnxruntime-web's with threads) are not in it at all.",
    "pool MB: the engine's own count of its memory, the peak during prepare and check over what it held before: unfold-cpu's shared " +
      "WebAssembly memory in use (a plan's whole workspace is reserved when it is compiled), unfold-webgpu's GPU buffers on loan " +
      "(rounded up to size classes), the TensorFlow.js engines' tensor bytes (tf.profile, between kernels; for tfjs-cpu and the wasm " +
      "engine they overlap the heap figure). Backends keep compiled programs, so this counts a plan the first time a program is " +
      "compiled in the process. onnxruntime-web and jax-js expose no such count; onnxruntime-web's threaded memory is in neither column.",
  ];
}

export function markdownReport(input: MarkdownReportInput): string {
  const out: string[] = [`# ${input.title ?? "Benchmark results"}`, ""];
  if (input.generatedAt !== undefined) out.push(`Generated ${input.generatedAt}.`, "");
  if (input.elapsedSeconds !== undefined) out.push(`The run took ${input.elapsedSeconds.toFixed(0)} s.`, "");
  for (const [workload, rows] of byWorkload(input.rows)) out.push(`## ${workload}`, "", ...workloadTable(rows), "");
  if (input.work && input.work.length > 0) {
    const cells = input.work.map((w) => [w.workload, w.size, formatGflop(w.flops)]);
    out.push("## Counted work", "", "Per run, from the optimized core program; the same count for every engine.", "", ...table(["workload", "size", "GFLOP"], [false, false, true], cells), "");
  }
  if (input.engines && input.engines.length > 0) out.push("## Engines", "", ...input.engines.map((e) => `- ${e}`), "");
  if (input.tolerance !== undefined) out.push("## Columns", "", ...columnNotes(input.tolerance).map((c) => `- ${c}`), "");
  if (input.comparison) out.push(...comparisonSection(input.comparison), "");
  if (input.charts && input.charts.length > 0) {
    out.push("## Charts", "");
    // A Markdown image link is a URL: forward slashes, and spaces (which would end it) encoded.
    // The alt text is the file's name without .svg.
    for (const chart of input.charts) out.push(`![${basename(chart, extname(chart)).replace(/[[\]\\]/g, "\\$&")}](${encodeURI(chart.replace(/\\/g, "/"))})`, "");
  }
  return out.join("\n").trimEnd() + "\n";
}
