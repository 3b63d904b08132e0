import { sizeOf } from "@unfold/core";
import type { GatherKernel, ScatterAddKernel } from "../plan/kernels.js";
import { Bindings, type KernelCode, MAIN_ARGS, grid } from "./common.js";
import { decompose, simplifyAxes } from "./layout.js";

const WORKGROUP = 256;

/** Indices arrive as floats holding integers; out-of-range ones are clamped (the reference rejects them). */
const indexOf = (value: string, n: number): string => `u32(clamp(i32(round(${value})), 0, ${Math.max(0, n - 1)}))`;

/**
 * out[pre, j..., post] = x[pre, indices[j...], post]: one invocation per output element, with
 * x's offset over the pre and post axes and the index tensor's over the middle ones.
 */
export function gatherCode(spec: GatherKernel, out: number): KernelCode {
  const total = sizeOf(spec.shape);
  const bind = new Bindings(out);
  const rankIdx = spec.indices.shape.length;
  const pre = spec.axis;
  const xStrides = spec.shape.map((_, k) => (k < pre ? spec.x.strides[k]! : k < pre + rankIdx ? 0 : spec.x.strides[k - rankIdx + 1]!));
  const iStrides = spec.shape.map((_, k) => (k >= pre && k < pre + rankIdx ? spec.indices.strides[k - pre]! : 0));
  const axes = simplifyAxes(spec.shape, [xStrides, iStrides]);
  const { workgroups, flat } = grid(total, WORKGROUP);
  const n = spec.x.shape[spec.axis]!;
  const body = [
    `let i = ${flat};`,
    `if (i >= ${total}u) { return; }`,
    ...decompose("i", axes, [spec.x.offset, spec.indices.offset], ["ox", "oi"], ""),
    `let at = ${indexOf(`${bind.name(spec.indices.slot)}[oi]`, n)};`,
    `b0[i] = ${bind.name(spec.x.slot)}[ox + at * ${spec.x.strides[spec.axis]}u];`,
  ];
  const wgsl = `${bind.declarations()}
@compute @workgroup_size(${WORKGROUP})
fn main(${MAIN_ARGS}) {
  ${body.join("\n  ")}
}
`;
  return { wgsl, workgroups, bindings: bind.slots };
}

/**
 * out[pre, r, post] = sum over j with indices[j] = r of updates[pre, j, post]. One invocation
 * per output element scans the indices in order: no float atomics (WebGPU has none), and the
 * sum runs in the reference's order.
 */
export function scatterAddCode(spec: ScatterAddKernel, out: number): KernelCode {
  const total = sizeOf(spec.shape);
  const bind = new Bindings(out);
  const idxShape = spec.indices.shape;
  const rankIdx = idxShape.length;
  const pre = spec.axis;
  const count = sizeOf(idxShape);
  // Output axes: pre..., the scattered axis (coordinate row), post...
  const uStrides = spec.shape.map((_, k) => (k < pre ? spec.updates.strides[k]! : k === pre ? 0 : spec.updates.strides[k - 1 + rankIdx]!));
  const rStrides = spec.shape.map((_, k) => (k === pre ? 1 : 0));
  const axes = { dims: spec.shape, strides: [uStrides, rStrides] };
  const inner = simplifyAxes(idxShape, [spec.indices.strides, spec.updates.strides.slice(pre, pre + rankIdx)]);
  const { workgroups, flat } = grid(total, WORKGROUP);
  const body = [
    `let i = ${flat};`,
    `if (i >= ${total}u) { return; }`,
    ...decompose("i", axes, [spec.updates.offset, 0], ["ou", "row"], ""),
    "var acc = 0.0;",
    `for (var j = 0u; j < ${count}u; j++) {`,
    ...decompose("j", inner, [spec.indices.offset, "ou"], ["oi", "oj"], "j").map((l) => `  ${l}`),
    `  if (${indexOf(`${bind.name(spec.indices.slot)}[oi]`, spec.shape[spec.axis]!)} == row) { acc = acc + ${bind.name(spec.updates.slot)}[oj]; }`,
    "}",
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
