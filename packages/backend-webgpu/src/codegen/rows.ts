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

/** Terms a pairwise sum evaluates per step (a power of two), added as a tree of their own. */
export const PAIRWISE_BLOCK = 8;

/** A loop over the columns `col` = start, start + step, ... below `end`, summing `value` into `acc`. */
export interface PairwiseSum {
  readonly col: string;
  /** The first column: a literal or an expression (an invocation's own share starts at `lid`). */
  readonly start: string;
  readonly step: number;
  /** The end: a literal, or an expression with `maxTerms` bounding the terms of any one sum. */
  readonly end: number | string;
  readonly maxTerms?: number;
  /** A `var` declared by the caller; the sum is added to it. */
  readonly acc: string;
  /** Statements computing `value` at column `col` (and doing whatever else each column needs). */
  readonly body: readonly string[];
  readonly value: string;
}

/**
 * A float32 sum as a binary tree, in one invocation: the terms come PAIRWISE_BLOCK at a time,
 * unrolled and added as a tree; each block's sum is then merged like a binary counter (added to
 * the pending sum of as many blocks, the result carried up), so each term meets about log2(n)
 * roundings, not n, and needs no workgroup memory or barriers. Summed term by term instead,
 * every term is rounded against a running sum that grows along the row, and where the terms
 * cancel the error swamps the result: the gradient of a training step, a small difference of
 * sums over 512 tokens, came out wrong in its fourth digit. The unrolled block also breaks the
 * chain of dependent additions, so the tree costs no more time than the running sum did.
 */
export function pairwiseSum(spec: PairwiseSum): string[] {
  const { col, start, step, acc } = spec;
  const end = typeof spec.end === "number" ? `${spec.end}u` : spec.end;
  const block = step * PAIRWISE_BLOCK;
  // One pending sum per bit of the largest block count an invocation reaches: a bound the WGSL
  // needs at compile time, so an end known only at run time must come with maxTerms.
  if (typeof spec.end !== "number" && spec.maxTerms === undefined) throw new Error(`pairwiseSum: the end '${spec.end}' is an expression; give maxTerms`);
  const blocks = Math.ceil((spec.maxTerms ?? Math.ceil(Number(spec.end) / step)) / PAIRWISE_BLOCK);
  const levels = Math.floor(Math.log2(Math.max(1, blocks))) + 1;
  const [pending, count, part, carry, bits, first] = [`${col}pend`, `${col}n`, `${col}part`, `${col}k`, `${col}bits`, `${col}0`];
  /** Statements evaluating the term at column `at` into the variable `name`. */
  const term = (at: string, name: string): string[] => ["{", `  let ${col} = ${at};`, ...spec.body.map((l) => `  ${l}`), `  ${name} = ${spec.value};`, "}"];
  let tree = Array.from({ length: PAIRWISE_BLOCK }, (_, u) => `${col}t${u}`);
  const full = tree.map((name) => `var ${name}: f32;`);
  tree.forEach((name, u) => full.push(...term(`${first} + ${u * step}u`, name)));
  while (tree.length > 1) tree = Array.from({ length: tree.length / 2 }, (_, q) => `(${tree[2 * q]} + ${tree[2 * q + 1]})`);
  full.push(`let ${part} = ${tree[0]};`);
  // The last, partial block: fewer than PAIRWISE_BLOCK terms, in order.
  const tail = [
    `var ${part} = 0.0;`,
    `for (var ${col}r = ${first}; ${col}r < ${end}; ${col}r += ${step}u) {`,
    `  var ${col}v: f32;`,
    ...term(`${col}r`, `${col}v`).map((l) => `  ${l}`),
    `  ${part} = ${part} + ${col}v;`,
    "}",
  ];
  const merge = [
    `var ${carry} = 0u;`,
    `var ${col}sum = ${part};`,
    `for (var ${bits} = ${count}; (${bits} & 1u) == 1u; ${bits} = ${bits} >> 1u) {`,
    `  ${col}sum = ${pending}[${carry}] + ${col}sum;`,
    `  ${carry}++;`,
    "}",
    `${pending}[${carry}] = ${col}sum;`,
    `${count}++;`,
  ];
  const indent = (lines: readonly string[]): string[] => lines.map((l) => `  ${l}`);
  return [
    `var ${pending}: array<f32, ${levels}>;`,
    `var ${count} = 0u;`,
    `var ${first} = ${start};`,
    `for (; ${first} + ${block - step}u < ${end}; ${first} += ${block}u) {`,
    ...indent(full),
    ...indent(merge),
    "}",
    `if (${first} < ${end}) {`,
    ...indent(tail),
    ...indent(merge),
    "}",
    // What is left pending, the smallest sums first.
    `for (var ${carry} = 0u; ${carry} < ${levels}u; ${carry}++) {`,
    `  if (((${count} >> ${carry}) & 1u) == 1u) { ${acc} = ${acc} + ${pending}[${carry}]; }`,
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
