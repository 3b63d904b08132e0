import { sizeOf } from "@unfold/core";
import type { GatherKernel } from "../plan/kernels.js";
import { Bindings, type KernelCode, MAIN_ARGS, grid } from "./common.js";
import { decompose, simplifyAxes } from "./layout.js";

const WORKGROUP = 256;

/**
 * Indices arrive as floats holding integers. Host index feeds are checked before the run (core's
 * checkIndexFeeds); an index computed inside the program and out of range is clamped here, since
 * a kernel cannot throw (the reference and the CPU backend refuse it).
 */
export const indexOf = (value: string, n: number): string => `u32(clamp(i32(round(${value})), 0, ${Math.max(0, n - 1)}))`;

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
