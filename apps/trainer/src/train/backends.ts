import { CpuBackend } from "@unfold/backend-cpu";
import { enableRelaxedSimd } from "@unfold/backend-cpu/node";
import { OnnxBackend } from "@unfold/backend-onnx";
import { TfjsBackend } from "@unfold/backend-tfjs";
import { WebGpuBackend } from "@unfold/backend-webgpu";
import { type Backend, type DType, ReferenceBackend, UnfoldError } from "@unfold/core";
import { availableParallelism } from "node:os";

export const BACKEND_NAMES = ["cpu", "webgpu", "onnx", "tfjs", "reference"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backends whose thread count `--threads` sets: the others run on one thread (tfjs, reference) or on a GPU. */
export const THREADED_BACKENDS: readonly BackendName[] = ["cpu", "onnx"];

/**
 * The backend `--backend` names. Each runs the same programs; they differ in where. onnx runs the
 * training program inside onnxruntime-web (wasm); tfjs on TensorFlow.js's wasm engine. `threads`
 * (--threads) is the cpu and onnx backends' thread count, every core when unset; a sweep running
 * several jobs at once gives each its share (see docs/sweeps.md).
 */
export async function createBackend(name: BackendName, dtype: DType, threads?: number): Promise<Backend> {
  if (threads !== undefined && !THREADED_BACKENDS.includes(name)) {
    throw new UnfoldError("trainer", `--threads ${threads} applies to the ${THREADED_BACKENDS.join(" and ")} backends, but the backend is ${name}; drop --threads`);
  }
  let backend: Backend;
  switch (name) {
    case "cpu":
      // Fused multiply-add in the GEMM where V8 offers relaxed SIMD (about 20% faster).
      enableRelaxedSimd();
      backend = new CpuBackend(threads === undefined ? {} : { threads });
      break;
    case "webgpu":
      backend = await WebGpuBackend.create();
      break;
    case "onnx":
      backend = new OnnxBackend({ executionProvider: "wasm", threads: threads ?? availableParallelism() });
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
