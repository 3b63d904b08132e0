import type { NormalizeKernel } from "../plan/kernels.js";
import { stridesOf } from "@unfold/core";
import { Bindings, type KernelCode, type KernelTarget, MAIN_ARGS, NEG_INFINITY, grid, groupGrid } from "./common.js";
import { type Helper, helperSource } from "./expr.js";
import { decompose } from "./layout.js";
import { columnValue, pairwiseSum, rowBases, rowLayout, rowSchedule, treeReduce } from "./rows.js";

/**
 * Softmax or logsumexp along one axis in one kernel: the row's max, then the sum of
 * exp(x - max), then the result, evaluating the fused argument expression on the first two
 * passes rather than storing it. Rows go to one invocation or to one workgroup each (rowSchedule).
 */
export function normalizeCode(spec: NormalizeKernel, out: number, target: KernelTarget): KernelCode {
  const bind = new Bindings(out);
  const softmax = spec.mode === "softmax";
  // The softmax output is one more strided set, laid out like the argument.
  const sets = [...spec.leaves.map((l) => l.strides), ...(softmax ? [stridesOf(spec.shape)] : [])];
  const layout = rowLayout(spec.shape, [spec.axis], sets);
  const bases = [...spec.leaves.map((l) => l.offset), ...(softmax ? [0] : [])];
  const helpers = new Set<Helper>();
  const pass = (p: string, col: string): ReturnType<typeof columnValue> => columnValue(layout, col, spec.leaves, bases.length, spec.expr, bind, helpers, p);
  const { serial, size } = rowSchedule(layout, target);
  const loop = serial ? (c: string): string => `for (var ${c} = 0u; ${c} < ${layout.cols}u; ${c}++) {` : (c: string): string => `for (var ${c} = lid; ${c} < ${layout.cols}u; ${c} += ${size}u) {`;
  const [a, b] = [pass("a", "ca"), pass("b", "cb")];
  const body: string[] = [];
  let workgroups: [number, number, number];
  if (serial) {
    const g = grid(layout.rows, size);
    workgroups = g.workgroups;
    body.push(`let row = ${g.flat};`);
  } else {
    const g = groupGrid(layout.rows);
    workgroups = g.workgroups;
    body.push(`let row = ${g.group};`);
  }
  body.push(`if (row >= ${layout.rows}u) { return; }`, ...rowBases(layout, "row", bases));
  body.push(`var m = ${NEG_INFINITY};`, loop("ca"), ...a.lines.map((l) => `  ${l}`), `  m = max(m, ${a.value});`, "}");
  if (!serial) body.push("red[lid] = m;", ...treeReduce(size, (x, y) => `max(${x}, ${y})`), "m = red[0];", "workgroupBarrier();");
  // Softmax keeps each exponential in its output slot, so the last pass only scales: one load
  // instead of the argument's loads, its expression and another exp. Each invocation rescales
  // exactly the elements it wrote, so no barrier is needed in between.
  const keep = softmax ? [`b0[${b.offsets[bases.length - 1]}] = eb;`] : [];
  // The denominator is summed pairwise, like every sum.
  const terms = [...b.lines, `let eb = exp(${b.value} - m);`, ...keep];
  body.push("var s = 0.0;", ...pairwiseSum({ col: "cb", start: serial ? "0u" : "lid", step: serial ? 1 : size, end: layout.cols, acc: "s", body: terms, value: "eb" }));
  if (!serial) body.push("red[lid] = s;", ...treeReduce(size, (x, y) => `${x} + ${y}`), "s = red[0];");
  if (softmax) {
    const o = decompose("cw", layout.colAxes, [`rb${bases.length - 1}`], ["wo"], "wk");
    body.push(loop("cw"), ...o.map((l) => `  ${l}`), "  b0[wo] = b0[wo] / s;", "}");
  } else {
    body.push(serial ? "b0[row] = log(s) + m;" : "if (lid == 0u) { b0[row] = log(s) + m; }");
  }
  // Unused passes still have their lines generated; only the ones pushed above end up in the code.
  const wgsl = `${bind.declarations()}
${serial ? "" : `var<workgroup> red: array<f32, ${size}>;`}
${helperSource(helpers)}
@compute @workgroup_size(${size})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups, bindings: bind.slots };
}
