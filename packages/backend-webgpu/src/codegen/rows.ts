import type { Expr } from "../plan/kernels.js";
import type { View } from "@unfold/core";
import { type Axes, decompose, simplifyAxes } from "./layout.js";
import type { Bindings, KernelTarget } from "./common.js";
import { type Helper, emitExpr } from "./expr.js";

/**
 * A reduction's iteration space seen as rows x columns: the kept axes make the rows (in the
 * output's row-major order), the reduced axes the columns. Each view gets a row offset and a
 * column offset; extra stride sets (a softmax's output) ride along.
 */
export interface RowLayout {
  readonly rows: number;
  readonly cols: number;
  readonly rowAxes: Axes;
  readonly colAxes: Axes;
}

export function rowLayout(shape: readonly number[], axes: readonly number[], strideSets: readonly (readonly number[])[]): RowLayout {
  const kept = shape.map((_, k) => k).filter((k) => !axes.includes(k));
  const reduced = shape.map((_, k) => k).filter((k) => axes.includes(k));
  const pick = (ks: number[]): Axes => simplifyAxes(ks.map((k) => shape[k]!), strideSets.map((s) => ks.map((k) => s[k]!)));
  const product = (ks: number[]): number => ks.reduce((p, k) => p * shape[k]!, 1);
  return { rows: product(kept), cols: product(reduced), rowAxes: pick(kept), colAxes: pick(reduced) };
}

/** Statements giving each stride set's offset at the start of row `row` (named `rb${v}`). */
export function rowBases(layout: RowLayout, row: string, bases: readonly number[]): string[] {
  return decompose(row, layout.rowAxes, bases, bases.map((_, v) => `rb${v}`), "r");
}

/**
 * Statements evaluating the expression at column `col` of the current row: column offsets
 * (`o${v}`), leaf loads, the expression. Returns the value's name.
 */
export function columnValue(layout: RowLayout, col: string, leaves: readonly View[], sets: number, expr: Expr, bind: Bindings, helpers: Set<Helper>, prefix: string): { lines: string[]; value: string; offsets: string[] } {
  const offsets = Array.from({ length: sets }, (_, v) => `${prefix}o${v}`);
  const lines = decompose(col, layout.colAxes, offsets.map((_, v) => `rb${v}`), offsets, `${prefix}k`);
  leaves.forEach((l, k) => lines.push(`let ${prefix}v${k} = ${bind.name(l.slot)}[${offsets[k]}];`));
  const e = emitExpr(expr, (k) => `${prefix}v${k}`, helpers, `${prefix}e`);
  lines.push(...e.lines);
  return { lines, value: e.value, offsets };
}

/** A tree reduction of `red[0..size)` into red[0], every invocation of the workgroup taking part. */
export function treeReduce(size: number, combine: (a: string, b: string) => string): string[] {
  return [
    "workgroupBarrier();",
    `for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {`,
    `  if (lid < s) { red[lid] = ${combine("red[lid]", "red[lid + s]")}; }`,
    "  workgroupBarrier();",
    "}",
  ];
}

/**
 * How a row kernel spreads its rows: one invocation per row (`serial`, in workgroups of `size`)
 * or one workgroup of `size` per row, reducing through workgroup memory.
 *
 * A GPU reduces rows past 32 columns with a workgroup each: enough invocations to hide memory
 * latency, and its barriers are cheap. A CPU adapter runs a workgroup as SIMD lanes of one
 * thread, each barrier a switch between them, and gathers every lane's load separately either
 * way; there a row of up to 2048 columns is cheapest walked by one lane (as accurate as the
 * per-invocation shares of a workgroup row), in small workgroups so the driver's thread pool
 * still gets many of them.
 */
export function rowSchedule(layout: RowLayout, target: KernelTarget): { serial: boolean; size: number } {
  if (target === "cpu") return layout.cols <= 2048 ? { serial: true, size: 16 } : { serial: false, size: workgroupSizeFor(layout.cols) };
  return layout.cols <= 32 ? { serial: true, size: 64 } : { serial: false, size: workgroupSizeFor(layout.cols) };
}

export function workgroupSizeFor(cols: number): number {
  return cols >= 2048 ? 256 : cols >= 256 ? 128 : 64;
}
