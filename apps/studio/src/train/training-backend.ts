// The backend a training run opens for the Backend menu's choice: the page's own (backends.ts),
// except ONNX, which trains on onnxruntime-web's wasm provider even where the page has WebGPU.
// The Node trainer's ONNX backend runs that provider too; onnxruntime's WebGPU provider took
// about 10 s per step of the quick config in headless Chromium on SwiftShader (its wasm provider:
// tens of milliseconds), and it leaves some of the training program's nodes to its CPU provider
// (it logs so), copying their tensors across at every step.
import { type BackendName, type OpenBackend, openBackend } from "../backends.js";

export async function openTrainingBackend(name: BackendName): Promise<OpenBackend> {
  if (name !== "onnx") return openBackend(name);
  const [ort, { OnnxBackend }, { ORT_WASM_URL }] = await Promise.all([import("onnxruntime-web"), import("@unfold/backend-onnx"), import("../runtime-files.js")]);
  // The same runtime file the page's ONNX backend loads (onnxruntime loads it once per page).
  ort.env.wasm.wasmPaths = { wasm: ORT_WASM_URL };
  const backend = new OnnxBackend({ executionProvider: "wasm", threads: 1 });
  const info = await backend.engineInfo();
  return { backend, engine: `onnxruntime-web ${info.version}, ${info.executionProvider} provider, ${info.threads} thread${info.threads === 1 ? "" : "s"}` };
}
