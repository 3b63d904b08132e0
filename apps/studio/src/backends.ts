// The backends the page switches between. The float64 reference is always there; the CPU backend
// runs its WebAssembly on the page's own thread (threads: 1: its worker pool is Node's
// worker_threads, which a page does not have); WebGPU needs navigator.gpu. ONNX runs Unfold's
// exported models on onnxruntime-web (its WebGPU provider where navigator.gpu exists, else its
// wasm one), TensorFlow.js on its wasm engine; their runtime files come from the built folder.
import { type Backend, type DType, ReferenceBackend, hostTensor } from "@unfold/core";

export type BackendName = "reference" | "cpu" | "webgpu" | "onnx" | "tfjs";

export const BACKEND_NAMES: readonly BackendName[] = ["reference", "cpu", "webgpu", "onnx", "tfjs"];

export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = {
  reference: "float64 reference (interpreter)",
  cpu: "CPU (WebAssembly, 1 thread)",
  webgpu: "WebGPU (navigator.gpu)",
  onnx: "ONNX (onnxruntime-web)",
  tfjs: "TensorFlow.js (wasm engine)",
};

/** The dtype each backend computes in: the reference in float64, the others in float32. */
export const BACKEND_DTYPES: Readonly<Record<BackendName, DType>> = { reference: "float64", cpu: "float32", webgpu: "float32", onnx: "float32", tfjs: "float32" };

/** Why a backend cannot run in this page, or undefined when it can. */
export function unavailableReason(name: BackendName): string | undefined {
  if (name === "webgpu" && !("gpu" in navigator)) return "this browser has no navigator.gpu (WebGPU); the reference and CPU backends still run";
  return undefined;
}

/** An open backend and what it runs on, in words (shown with each run). */
export interface OpenBackend {
  readonly backend: Backend;
  readonly engine: string;
}

/** Opens a backend; the caller disposes it. */
export async function openBackend(name: BackendName): Promise<OpenBackend> {
  const reason = unavailableReason(name);
  if (reason) throw new Error(`backend '${name}': ${reason}`);
  switch (name) {
    case "reference":
      return { backend: new ReferenceBackend(), engine: "float64 interpreter" };
    case "cpu": {
      const { CpuBackend } = await import("@unfold/backend-cpu");
      const backend = new CpuBackend({ threads: 1 });
      const info = await backend.engineInfo();
      return { backend, engine: `WebAssembly ${info.simd ? "SIMD" : "scalar"}, ${info.threads} thread${info.threads === 1 ? "" : "s"}` };
    }
    case "webgpu": {
      const { WebGpuBackend } = await import("@unfold/backend-webgpu");
      const backend = await WebGpuBackend.create();
      const info = backend.device?.adapterInfo;
      const adapter = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") : "";
      return { backend, engine: `WebGPU${adapter ? ` on ${adapter}` : ""}` };
    }
    case "onnx":
      return openOnnx();
    case "tfjs":
      return openTfjs();
  }
}

/** onnxruntime-web on its WebGPU provider where the page has navigator.gpu, else on its wasm one (one thread). */
async function openOnnx(): Promise<OpenBackend> {
  const [ort, { OnnxBackend }, { ORT_WASM_URL }] = await Promise.all([import("onnxruntime-web"), import("@unfold/backend-onnx"), import("./runtime-files.js")]);
  ort.env.wasm.wasmPaths = { wasm: ORT_WASM_URL };
  const provider = "gpu" in navigator ? "webgpu" : "wasm";
  const backend = new OnnxBackend({ executionProvider: provider, threads: 1 });
  const info = await backend.engineInfo();
  return { backend, engine: `onnxruntime-web ${info.version}, ${info.executionProvider} provider` };
}

/** TensorFlow.js on its wasm engine, its .wasm files served from the built folder. */
async function openTfjs(): Promise<OpenBackend> {
  const [wasm, { TfjsBackend }, { TFJS_WASM_URLS }] = await Promise.all([import("@tensorflow/tfjs-backend-wasm"), import("@unfold/backend-tfjs"), import("./runtime-files.js")]);
  // The object form maps each file the engine may fetch to its URL; the backend then leaves the paths alone.
  wasm.setWasmPaths({ ...TFJS_WASM_URLS });
  const backend = new TfjsBackend({ engine: "wasm" });
  // Initializes the engine now, so a missing runtime file fails here, naming the backend.
  await backend.upload(hostTensor([0], [1], "float32")).then((t) => t.dispose());
  return { backend, engine: "TensorFlow.js wasm engine" };
}
