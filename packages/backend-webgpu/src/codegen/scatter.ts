import { sizeOf } from "@unfold/core";
import type { ScatterAddKernel, ScatterRowsKernel } from "../plan/kernels.js";
import { Bindings, type KernelCode, MAIN_ARGS, grid } from "./common.js";
import { indexOf } from "./gather.js";
import { decompose, simplifyAxes } from "./layout.js";
import { pairwiseSum } from "./rows.js";

/**
 * scatterAdd in two passes, with no float atomics (WebGPU has none) and in a fixed order:
 *
 * 1. scatterRowsCode: one workgroup turns the indices into a list per target row of the
 *    positions that name it (a counting sort: count per row, prefix sums, place, then sort each
 *    list so its order does not depend on how invocations were scheduled).
 * 2. scatterAddCode: one invocation per output element sums, pairwise, the updates its row's
 *    list names.
 *
 * The work is one pass over the indices plus one over the updates. Scanning every index for
 * every output element instead cost indices x outputs: 100,000 indices into a 1000 x 64 table
 * took 10 s a run on a software adapter, and the time grew with both sizes.
 */

/** Invocations of the one workgroup that builds the lists. */
const LIST_WORKGROUP = 256;
const WORKGROUP = 256;

export function scatterRowsCode(spec: ScatterRowsKernel, out: number): KernelCode {
  const bind = new Bindings(out);
  const lists = bind.typed(out, "atomic<u32>");
  const indices = bind.name(spec.indices.slot);
  const { rows } = spec;
  const count = sizeOf(spec.indices.shape);
  const W = LIST_WORKGROUP;
  // Where each part of the buffer starts: list starts, counters, the lists (kernels.ts, rowListsLength).
  const [counter, entry] = [rows + 1, 2 * rows + 1];
  const axes = simplifyAxes(spec.indices.shape, [spec.indices.strides]);
  const rowOf = ["fn row_of(j: u32) -> u32 {", ...decompose("j", axes, [spec.indices.offset], ["oi"], "j").map((l) => `  ${l}`), `  return ${indexOf(`${indices}[oi]`, rows)};`, "}"];
  const chunk = Math.ceil(rows / W);
  const at = (i: string): string => `&${lists}[${i}]`;
  const body =
    rows === 0
      ? [] // an empty output: nothing to list
      : [
          // Zero the list starts and the counters.
          `for (var r = lid; r < ${entry}u; r += ${W}u) { atomicStore(${at("r")}, 0u); }`,
          "storageBarrier();",
          // Count the indices of each row.
          `for (var j = lid; j < ${count}u; j += ${W}u) { atomicAdd(${at(`${counter}u + row_of(j)`)}, 1u); }`,
          "storageBarrier();",
          // Exclusive prefix sums of the counts: each invocation takes a contiguous chunk of rows,
          // the chunks' totals are summed in order, then each chunk is written from its offset
          // (and its counters zeroed for the next phase).
          `let lo = min(lid * ${chunk}u, ${rows}u);`,
          `let hi = min(lo + ${chunk}u, ${rows}u);`,
          "var total = 0u;",
          `for (var r = lo; r < hi; r++) { total += atomicLoad(${at(`${counter}u + r`)}); }`,
          "chunks[lid] = total;",
          "workgroupBarrier();",
          `if (lid == 0u) { var run = 0u; for (var k = 0u; k < ${W}u; k++) { let t = chunks[k]; chunks[k] = run; run += t; } }`,
          "workgroupBarrier();",
          "var run = chunks[lid];",
          `for (var r = lo; r < hi; r++) { let c = atomicLoad(${at(`${counter}u + r`)}); atomicStore(${at("r")}, run); atomicStore(${at(`${counter}u + r`)}, 0u); run += c; }`,
          `if (lid == 0u) { atomicStore(${at(`${rows}u`)}, ${count}u); }`,
          "storageBarrier();",
          // Place each position in its row's list, in whatever order the invocations come.
          `for (var j = lid; j < ${count}u; j += ${W}u) {`,
          "  let r = row_of(j);",
          `  atomicStore(${at(`${entry}u + atomicLoad(${at("r")}) + atomicAdd(${at(`${counter}u + r`)}, 1u)`)}, j);`,
          "}",
          "storageBarrier();",
          // Sort each list ascending (shell sort, gaps 1, 4, 13, ...): lists come mostly in order,
          // and a fixed order makes every run sum alike.
          `for (var r = lid; r < ${rows}u; r += ${W}u) {`,
          `  let base = ${entry}u + atomicLoad(${at("r")});`,
          `  let n = atomicLoad(${at("r + 1u")}) - atomicLoad(${at("r")});`,
          "  var gap = 1u;",
          "  loop { if (gap * 3u + 1u >= n) { break; } gap = gap * 3u + 1u; }",
          "  loop {",
          "    for (var i = gap; i < n; i++) {",
          `      let v = atomicLoad(${at("base + i")});`,
          "      var k = i;",
          `      loop { if (k < gap) { break; } let w = atomicLoad(${at("base + k - gap")}); if (w <= v) { break; } atomicStore(${at("base + k")}, w); k -= gap; }`,
          `      atomicStore(${at("base + k")}, v);`,
          "    }",
          "    if (gap == 1u) { break; }",
          "    gap = gap / 3u;",
          "  }",
          "}",
        ];
  const wgsl = `${bind.declarations()}
var<workgroup> chunks: array<u32, ${W}>;
${rowOf.join("\n")}
@compute @workgroup_size(${W})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups: [1, 1, 1], bindings: bind.slots };
}

/**
 * out[pre, r, post] = sum over the positions j in row r's list of updates[pre, j..., post]:
 * one invocation per output element, summing pairwise in the list's (ascending) order.
 */
export function scatterAddCode(spec: ScatterAddKernel, out: number): KernelCode {
  const total = sizeOf(spec.shape);
  const bind = new Bindings(out);
  const idxShape = spec.indices.shape;
  const rankIdx = idxShape.length;
  const pre = spec.axis;
  const count = sizeOf(idxShape);
  const rows = spec.shape[spec.axis]!;
  const lists = bind.typed(spec.rowLists.slot, "u32");
  const updates = bind.name(spec.updates.slot);
  const base = spec.rowLists.offset;
  // Output axes: pre..., the scattered axis (coordinate row), post...
  const uStrides = spec.shape.map((_, k) => (k < pre ? spec.updates.strides[k]! : k === pre ? 0 : spec.updates.strides[k - 1 + rankIdx]!));
  const rStrides = spec.shape.map((_, k) => (k === pre ? 1 : 0));
  const axes = { dims: spec.shape, strides: [uStrides, rStrides] };
  const inner = simplifyAxes(idxShape, [spec.updates.strides.slice(pre, pre + rankIdx)]);
  const { workgroups, flat } = grid(total, WORKGROUP);
  const term = [`let j = ${lists}[${base + 2 * rows + 1}u + e];`, ...decompose("j", inner, ["ou"], ["oj"], "j"), `let u = ${updates}[oj];`];
  const body = [
    `let i = ${flat};`,
    `if (i >= ${total}u) { return; }`,
    ...decompose("i", axes, [spec.updates.offset, 0], ["ou", "row"], ""),
    `let first = ${lists}[${base}u + row];`,
    `let last = ${lists}[${base + 1}u + row];`,
    "var acc = 0.0;",
    ...pairwiseSum({ col: "e", start: "first", step: 1, end: "last", maxTerms: count, acc: "acc", body: term, value: "u" }),
    "b0[i] = acc;",
  ];
  const wgsl = `${bind.declarations()}
@compute @workgroup_size(${WORKGROUP})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups, bindings: bind.slots };
}
