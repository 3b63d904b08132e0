import { CpuBackend } from "@unfold/backend-cpu";
import { enableRelaxedSimd } from "@unfold/backend-cpu/node";
import { OnnxBackend } from "@unfold/backend-onnx";
import { TfjsBackend } from "@unfold/backend-tfjs";
import { WebGpuBackend } from "@unfold/backend-webgpu";
import { type Backend, type DType, ReferenceBackend, UnfoldError } from "@unfold/core";
import { availableParallelism } from "node:os";

export const BACKEND_NAMES = ["cpu", "webgpu", "onnx", "tfjs", "reference"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * The backend `--backend` names. Each runs the same programs; they differ in where. onnx runs the
 * training program inside onnxruntime-web (wasm, every core); tfjs on TensorFlow.js's wasm engine.
 */
export async function createBackend(name: BackendName, dtype: DType): Promise<Backend> {
  let backend: Backend;
  switch (name) {
    case "cpu":
      // Fused multiply-add in the GEMM where V8 offers relaxed SIMD (about 20% faster).
      enableRelaxedSimd();
      backend = new CpuBackend();
      break;
    case "webgpu":
      backend = await WebGpuBackend.create();
      break;
    case "onnx":
      backend = new OnnxBackend({ executionProvider: "wasm", threads: availableParallelism() });
      break;
    case "tfjs":
      backend = new TfjsBackend({ engine: "wasm" });
      break;
    case "reference":
      backend = new ReferenceBackend();
      break;
  }
  if (!backend.dtypes.includes(dtype)) {
    await backend.dispose();
    throw new UnfoldError("trainer", `backend '${name}' computes in ${backend.dtypes.join(", ")}, not ${dtype}; set dtype to one of those`);
  }
  return backend;
}
