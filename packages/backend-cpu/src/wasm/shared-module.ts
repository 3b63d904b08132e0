/**
 * The one kernel module every thread instantiates on the shared memory: the GEMM's kernels per
 * dtype (kernels/gemm) and the float32 softmax kernels (kernels/softmax, kernels/gram-softmax),
 * so that the worker threads run all of them. Its export names live here, below the families
 * that emit them and the threads that look them up; the module is put together at the top
 * (kernel-module.ts).
 */
import type { GemmDType } from "./codegen.js";
import type { GemmKernels } from "./gemm-driver.js";
import type { ModuleBuilder } from "./wasm-emitter.js";

/** Functions a kernel family adds to the shared module (after the GEMM's, in a fixed order). */
export type ModulePart = (module: ModuleBuilder) => void;

/** The GEMM's export names for one dtype. */
export function exportNames(dtype: GemmDType): { macro: string; packA: string; packB: string; mirror: string } {
  const p = dtype === "float32" ? "f32" : "f64";
  return { macro: `${p}_macro`, packA: `${p}_packA`, packB: `${p}_packB`, mirror: `${p}_mirror` };
}

/**
 * Export names of the float32 softmax kernels in the shared module, by their GemmKernels name: the
 * rows kernels (kernels/softmax) and the Gram logits' kernels (kernels/gram-softmax).
 */
export const SOFTMAX_EXPORTS = {
  rows32: "softmax_rows32",
  rows32Bias: "softmax_rows32_bias",
  gramExp32: "softmax_gram_exp32",
  gramScale32: "softmax_gram_scale32",
  gramHalfDiagonal32: "softmax_gram_half_diagonal32",
} as const;

/** Kernel tables are indexed by dtype code: 0 = float32, 1 = float64. */
export const KERNEL_DTYPES: readonly GemmDType[] = ["float32", "float64"];

/** The module's exports as kernel tables by dtype code, the softmax kernels on the float32 one. */
export function kernelTables(exports: Record<string, never>): GemmKernels[] {
  const kernels = KERNEL_DTYPES.map((d) => {
    const n = exportNames(d);
    return { macro: exports[n.macro], packA: exports[n.packA], packB: exports[n.packB], mirror: exports[n.mirror] } as GemmKernels;
  });
  for (const [key, name] of Object.entries(SOFTMAX_EXPORTS)) (kernels[0] as unknown as Record<string, unknown>)[key] = exports[name];
  return kernels;
}
