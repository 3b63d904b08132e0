import { sizeOf } from "@unfold/core";
import type { ConcatKernel } from "../plan/kernels.js";
import { Bindings, type KernelCode, MAIN_ARGS, grid } from "./common.js";
import { decompose } from "./layout.js";

const WORKGROUP = 256;

/**
 * One invocation per output element; the coordinate along the axis picks the part, whose
 * element is read through the part's own strides. One dispatch however many parts.
 */
export function concatCode(spec: ConcatKernel, out: number): KernelCode {
  const total = sizeOf(spec.shape);
  const bind = new Bindings(out);
  // Each part's offset without the axis term; the axis coordinate is added per branch.
  const axes = { dims: spec.shape, strides: spec.parts.map((p) => p.strides.map((s, k) => (k === spec.axis ? 0 : s))) };
  const { workgroups, flat } = grid(total, WORKGROUP);
  const body = [`let i = ${flat};`, `if (i >= ${total}u) { return; }`, ...decompose("i", axes, spec.parts.map((p) => p.offset), spec.parts.map((_, k) => `o${k}`), "")];
  const along = spec.shape.length === 1 ? "c0" : `c${spec.axis}`;
  let start = 0;
  spec.parts.forEach((p, k) => {
    const end = start + p.shape[spec.axis]!;
    const read = `${bind.name(p.slot)}[o${k} + (${along} - ${start}u) * ${p.strides[spec.axis]}u]`;
    const test = k === spec.parts.length - 1 ? "" : `if (${along} < ${end}u) `;
    body.push(`${k === 0 ? "" : "else "}${test}{ b0[i] = ${read}; }`);
    start = end;
  });
  const wgsl = `${bind.declarations()}
@compute @workgroup_size(${WORKGROUP})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups, bindings: bind.slots };
}
