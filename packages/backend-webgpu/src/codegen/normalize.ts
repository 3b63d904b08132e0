import type { NormalizeKernel } from "../plan/kernels.js";
import { contiguousStrides } from "../plan/view.js";
import { Bindings, type KernelCode, MAIN_ARGS, NEG_INFINITY, grid, groupGrid } from "./common.js";
import { type Helper, helperSource } from "./expr.js";
import { SERIAL_COLUMNS, columnValue, rowBases, rowLayout, treeReduce, workgroupSizeFor } from "./rows.js";

/**
 * Softmax or logsumexp along one axis in one kernel: the row's max, then the sum of
 * exp(x - max), then the result, evaluating the fused argument expression on each pass rather
 * than storing it. Short rows: one invocation per row; long rows: a workgroup per row.
 */
export function normalizeCode(spec: NormalizeKernel, out: number): KernelCode {
  const bind = new Bindings(out);
  const softmax = spec.mode === "softmax";
  // The softmax output is one more strided set, laid out like the argument.
  const sets = [...spec.leaves.map((l) => l.strides), ...(softmax ? [contiguousStrides(spec.shape)] : [])];
  const layout = rowLayout(spec.shape, [spec.axis], sets);
  const bases = [...spec.leaves.map((l) => l.offset), ...(softmax ? [0] : [])];
  const helpers = new Set<Helper>();
  const pass = (p: string, col: string): ReturnType<typeof columnValue> => columnValue(layout, col, spec.leaves, bases.length, spec.expr, bind, helpers, p);
  const serial = layout.cols <= SERIAL_COLUMNS;
  const size = serial ? 64 : workgroupSizeFor(layout.cols);
  const loop = serial ? (c: string): string => `for (var ${c} = 0u; ${c} < ${layout.cols}u; ${c}++) {` : (c: string): string => `for (var ${c} = lid; ${c} < ${layout.cols}u; ${c} += ${size}u) {`;
  const [a, b, w] = [pass("a", "ca"), pass("b", "cb"), pass("w", "cw")];
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
  body.push("var s = 0.0;", loop("cb"), ...b.lines.map((l) => `  ${l}`), `  s = s + exp(${b.value} - m);`, "}");
  if (!serial) body.push("red[lid] = s;", ...treeReduce(size, (x, y) => `${x} + ${y}`), "s = red[0];");
  if (softmax) {
    body.push(loop("cw"), ...w.lines.map((l) => `  ${l}`), `  b0[${w.offsets[bases.length - 1]}] = exp(${w.value} - m) / s;`, "}");
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
