/**
 * The shared kernel module, put together from its families: the GEMM's kernels per dtype, then
 * the softmax rows' and the Gram softmax's float32 kernels (wasm/shared-module.ts), in that
 * order. Every thread instantiates it on the shared memory.
 */
import { buildGemmModule, type GemmModuleOptions } from "./kernels/gemm/kernels.js";
import { softmaxRowsPart } from "./kernels/softmax/softmax-wasm.js";
import { gramSoftmaxPart } from "./kernels/gram-softmax/gram-softmax-wasm.js";

/** The module's bytes: it imports `env.memory` and exports every family's kernels. */
export function buildKernelModule(options: GemmModuleOptions): Uint8Array<ArrayBuffer> {
  return buildGemmModule(options, [softmaxRowsPart, gramSoftmaxPart]);
}
