import { formatAlignedTable } from "@unfold/cli";
import type { SweepSpec } from "../spec/schema.js";
import type { CollectedResults, ResultRow } from "./collect.js";

/**
 * A metric value as the tables show it: six significant digits, the same on every machine.
 * Host and duration are left out of the tables on purpose: a seeded sweep gives the same tables
 * whether it ran here or across machines (results.jsonl keeps both).
 */
export function formatMetric(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  return abs >= 1e-3 && abs < 1e6 ? String(Number(value.toPrecision(6))) : value.toExponential(4);
}

/** The header and cells of the results: id, each axis, repeat, status, attempts, each metric, error. */
export function resultCells(spec: SweepSpec, rows: readonly ResultRow[]): { header: string[]; cells: string[][] } {
  const axes = Object.keys(spec.axes);
  const header = ["id", ...axes, "repeat", "status", "attempts", ...spec.metrics, "error"];
  const cells = rows.map((row) => [
    row.id,
    ...axes.map((a) => String(row.point[a])),
    String(row.repeat),
    row.status,
    row.status === "pending" ? "0" : String(row.attempts),
    ...spec.metrics.map((m) => (row.status === "done" && row.metrics[m] !== undefined ? formatMetric(row.metrics[m]) : "")),
    row.status === "failed" ? (row.error ?? "") : "",
  ]);
  return { header, cells };
}

/** One line of counts: "12 jobs: 11 done, 1 failed, 0 pending". */
export const countsLine = (results: CollectedResults): string => `${results.rows.length} jobs: ${results.done} done, ${results.failed} failed, ${results.pending} pending`;

/** results.md: a title, the counts and a markdown table sorted by job id. */
export function markdownTable(results: CollectedResults): string {
  const { spec } = results;
  const { header, cells } = resultCells(spec, results.rows);
  // A pipe or a line break inside a cell (an error message) would break the table's row.
  const cell = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  const numeric = numericColumns(header, cells);
  const lines = [
    `# Sweep ${spec.name}`,
    "",
    `\`unfold ${spec.command}\`, ${countsLine(results)}.`,
    "",
    `| ${header.map(cell).join(" | ")} |`,
    `| ${header.map((_, i) => (numeric[i] ? "---:" : "---")).join(" | ")} |`,
    ...cells.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
  return `${lines.join("\n")}\n`;
}

/** The same table for a terminal: aligned columns, the error column cut to a line's length. */
export function terminalTable(results: CollectedResults): string {
  const { header, cells } = resultCells(results.spec, results.rows);
  const rows = cells.map((r) => r.map((c, i) => (i === r.length - 1 && c.length > 80 ? `${c.slice(0, 77)}...` : c)));
  return formatAlignedTable(header, rows, numericColumns(header, cells));
}

/** Columns of numbers (right-aligned): every cell empty or a number, at least one a number; never the id or the error. */
function numericColumns(header: readonly string[], cells: readonly (readonly string[])[]): boolean[] {
  return header.map((name, i) => i > 0 && name !== "error" && cells.some((r) => r[i] !== "") && cells.every((r) => r[i] === "" || Number.isFinite(Number(r[i]))));
}
