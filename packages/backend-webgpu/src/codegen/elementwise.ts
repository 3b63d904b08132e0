import { sizeOf } from "@unfold/core";
import type { ElementwiseKernel } from "../plan/kernels.js";
import { Bindings, type KernelCode, MAIN_ARGS, grid } from "./common.js";
import { type Helper, emitExpr, helperSource } from "./expr.js";
import { decompose, simplifyAxes } from "./layout.js";

const WORKGROUP = 256;

/** One invocation per output element: index each leaf through its strides, evaluate, store contiguously. */
export function elementwiseCode(spec: ElementwiseKernel, out: number): KernelCode {
  const total = sizeOf(spec.shape);
  const bind = new Bindings(out);
  const axes = simplifyAxes(spec.shape, spec.leaves.map((l) => l.strides));
  const helpers = new Set<Helper>();
  const { workgroups, flat } = grid(total, WORKGROUP);
  const body = [
    `let i = ${flat};`,
    `if (i >= ${total}u) { return; }`,
    ...decompose("i", axes, spec.leaves.map((l) => l.offset), spec.leaves.map((_, k) => `o${k}`), ""),
    ...spec.leaves.map((l, k) => `let v${k} = ${bind.name(l.slot)}[o${k}];`),
  ];
  const e = emitExpr(spec.expr, (k) => `v${k}`, helpers);
  body.push(...e.lines, `b0[i] = ${e.value};`);
  const wgsl = `${bind.declarations()}
${helperSource(helpers)}
@compute @workgroup_size(${WORKGROUP})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups, bindings: bind.slots };
}
