import type { ReduceKernel } from "../plan/kernels.js";
import { Bindings, type KernelCode, type KernelTarget, MAIN_ARGS, NEG_INFINITY, grid, groupGrid } from "./common.js";
import { type Helper, helperSource } from "./expr.js";
import { columnValue, pairwiseSum, rowBases, rowLayout, rowSchedule, treeReduce } from "./rows.js";

/**
 * sum or max over axes, the producer expression fused in. Serial rows (rowSchedule): one
 * invocation per row. Otherwise a workgroup per row, each invocation accumulating a strided
 * share, then a tree in workgroup memory. Either way a sum is accumulated pairwise
 * (pairwiseSum), never term by term into one running float32 total.
 */
export function reduceCode(spec: ReduceKernel, out: number, target: KernelTarget): KernelCode {
  const bind = new Bindings(out);
  const layout = rowLayout(spec.shape, spec.axes, spec.leaves.map((l) => l.strides));
  const helpers = new Set<Helper>();
  const init = spec.op === "sum" ? "0.0" : NEG_INFINITY;
  const combine = (a: string, b: string): string => (spec.op === "sum" ? `${a} + ${b}` : `max(${a}, ${b})`);
  const bases = spec.leaves.map((l) => l.offset);
  const column = (col: string): ReturnType<typeof columnValue> => columnValue(layout, col, spec.leaves, bases.length, spec.expr, bind, helpers, "");
  /** The columns from `start` in steps of `step` into `acc`: a max term by term (exact), a sum pairwise. */
  const accumulate = (start: string, step: number, c: ReturnType<typeof columnValue>): string[] =>
    spec.op === "sum"
      ? pairwiseSum({ col: "c", start, step, end: layout.cols, acc: "acc", body: c.lines, value: c.value })
      : [`for (var c = ${start}; c < ${layout.cols}u; c += ${step}u) {`, ...c.lines.map((l) => `  ${l}`), `  acc = ${combine("acc", c.value)};`, "}"];
  let body: string[];
  const { serial, size } = rowSchedule(layout, target);
  let workgroups: [number, number, number];
  let shared = "";
  if (serial) {
    const g = grid(layout.rows, size);
    workgroups = g.workgroups;
    const c = column("c");
    body = [
      `let row = ${g.flat};`,
      `if (row >= ${layout.rows}u) { return; }`,
      ...rowBases(layout, "row", bases),
      `var acc = ${init};`,
      ...accumulate("0u", 1, c),
      "b0[row] = acc;",
    ];
  } else {
    const g = groupGrid(layout.rows);
    workgroups = g.workgroups;
    shared = `var<workgroup> red: array<f32, ${size}>;`;
    const c = column("c");
    body = [
      `let row = ${g.group};`,
      `if (row >= ${layout.rows}u) { return; }`,
      ...rowBases(layout, "row", bases),
      `var acc = ${init};`,
      ...accumulate("lid", size, c),
      "red[lid] = acc;",
      ...treeReduce(size, combine),
      "if (lid == 0u) { b0[row] = red[0]; }",
    ];
  }
  const wgsl = `${bind.declarations()}
${shared}
${helperSource(helpers)}
@compute @workgroup_size(${size})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups, bindings: bind.slots };
}
