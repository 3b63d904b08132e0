import type { KernelSpec } from "../plan/kernels.js";
import { type KernelCode, withSpecialValues } from "./common.js";
import { concatCode } from "./concat.js";
import { elementwiseCode } from "./elementwise.js";
import { gatherCode, scatterAddCode } from "./gather.js";
import { matmulCode } from "./matmul.js";
import { normalizeCode } from "./normalize.js";
import { reduceCode } from "./reduce.js";

export type { KernelCode } from "./common.js";

/** WGSL and launch shape for one planned kernel writing slot `out`. */
export function kernelCode(spec: KernelSpec, out: number): KernelCode {
  const code = generate(spec, out);
  return { ...code, wgsl: withSpecialValues(code.wgsl) };
}

function generate(spec: KernelSpec, out: number): KernelCode {
  switch (spec.kind) {
    case "elementwise":
      return elementwiseCode(spec, out);
    case "reduce":
      return reduceCode(spec, out);
    case "normalize":
      return normalizeCode(spec, out);
    case "matmul":
      return matmulCode(spec, out);
    case "concat":
      return concatCode(spec, out);
    case "gather":
      return gatherCode(spec, out);
    case "scatterAdd":
      return scatterAddCode(spec, out);
  }
}
