import type { KernelSpec } from "../plan/kernels.js";
import { type KernelCode, type KernelTarget, withSpecialValues } from "./common.js";
import { concatCode } from "./concat.js";
import { elementwiseCode } from "./elementwise.js";
import { gatherCode } from "./gather.js";
import { matmulCode } from "./matmul.js";
import { blockedFits, matmulBlockedCode } from "./matmul-blocked.js";
import { normalizeCode } from "./normalize.js";
import { reduceCode } from "./reduce.js";
import { scatterAddCode, scatterRowsCode } from "./scatter.js";

export type { KernelCode, KernelTarget } from "./common.js";

/** WGSL and launch shape for one planned kernel writing slot `out`, shaped for `target`. */
export function kernelCode(spec: KernelSpec, out: number, target: KernelTarget = "gpu"): KernelCode {
  const code = generate(spec, out, target);
  return { ...code, wgsl: withSpecialValues(code.wgsl) };
}

function generate(spec: KernelSpec, out: number, target: KernelTarget): KernelCode {
  switch (spec.kind) {
    case "elementwise":
      return elementwiseCode(spec, out);
    case "reduce":
      return reduceCode(spec, out, target);
    case "normalize":
      return normalizeCode(spec, out, target);
    case "matmul":
      return target === "cpu" && blockedFits(spec) ? matmulBlockedCode(spec, out) : matmulCode(spec, out);
    case "concat":
      return concatCode(spec, out);
    case "gather":
      return gatherCode(spec, out);
    case "scatterRows":
      return scatterRowsCode(spec, out);
    case "scatterAdd":
      return scatterAddCode(spec, out);
  }
}
