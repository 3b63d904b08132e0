// The backends the page switches between. The float64 reference is always there; the CPU backend
// runs its WebAssembly with worker threads (Web Workers) where the page is cross-origin isolated
// (the server sends the headers in vite/isolation.ts), else on the page's own thread alone;
// WebGPU needs navigator.gpu. ONNX runs Unfold's exported models on onnxruntime-web (its WebGPU
// provider where navigator.gpu exists, else its wasm one), TensorFlow.js on its wasm engine;
// their runtime files come from the built folder.
import { type Backend, type DType, ReferenceBackend, hostTensor } from "@unfold/core";

export type BackendName = "reference" | "cpu" | "webgpu" | "onnx" | "tfjs";

export const BACKEND_NAMES: readonly BackendName[] = ["reference", "cpu", "webgpu", "onnx", "tfjs"];

export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = {
  reference: "float64 reference (interpreter)",
  cpu: "CPU (WebAssembly)",
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
      const backend = new CpuBackend({ threads: cpuThreads() });
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

/** The CPU backend's threads in this page (cpuThreadsFor). */
export function cpuThreads(): number {
  return cpuThreadsFor(crossOriginIsolated, navigator.hardwareConcurrency);
}

/**
 * The CPU backend's threads, the page's included, for a page that is cross-origin isolated or
 * not, on a browser that reports `cores`: one where it is not isolated (the backend refuses more
 * there), else a core less than the browser has, up to MAX_CPU_THREADS. The core left over is
 * the browser's own (its compositor, GPU process and network): a worker spinning on it between
 * rounds takes it from them. Measured on two cores in headless Chromium, two threads trained the
 * quick MNIST model at 26-27 steps/s against 54-60 on one.
 */
export function cpuThreadsFor(isolated: boolean, cores: number): number {
  if (!isolated || !Number.isFinite(cores)) return 1;
  return Math.max(1, Math.min(Math.floor(cores) - 1, MAX_CPU_THREADS));
}

/**
 * Programs of the page are small (the live descent's 64 tokens in 16-D, the quick model's
 * batches): past a few threads, each round's synchronisation costs more than its chunks save.
 */
const MAX_CPU_THREADS = 4;

/** onnxruntime-web on its WebGPU provider where the page has navigator.gpu, else on its wasm one (one thread). */
async function openOnnx(): Promise<OpenBackend> {
  const [ort, { OnnxBackend }, { ORT_WASM_URL }] = await Promise.all([import("onnxruntime-web"), import("@unfold/backend-onnx"), import("./runtime-files.js")]);
  ort.env.wasm.wasmPaths = { wasm: ORT_WASM_URL };
  const provider = "gpu" in navigator ? "webgpu" : "wasm";
  const backend = new OnnxBackend({ executionProvider: provider, threads: 1 });
  const info = await backend.engineInfo();
  return { backend, engine: `onnxruntime-web ${info.version}, ${info.executionProvider} provider` };
}

/**
 * TensorFlow.js on its wasm engine, its .wasm files served from the built folder; one thread even
 * where the page is cross-origin isolated: its threaded build starts its workers from the source
 * text of a function of its bundle (Function.prototype.toString), which no longer runs alone once
 * the bundle is minified (the workers fail on a renamed outer variable and the engine never starts).
 */
async function openTfjs(): Promise<OpenBackend> {
  const [tf, wasm, { TfjsBackend }, { TFJS_WASM_URLS }] = await Promise.all([
    import("@tensorflow/tfjs-core"),
    import("@tensorflow/tfjs-backend-wasm"),
    import("@unfold/backend-tfjs"),
    import("./runtime-files.js"),
  ]);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  // The object form maps each file the engine may fetch to its URL; the backend then leaves the paths alone.
  wasm.setWasmPaths({ ...TFJS_WASM_URLS });
  const backend = new TfjsBackend({ engine: "wasm" });
  // Initializes the engine now, so a missing runtime file fails here, naming the backend.
  await backend.upload(hostTensor([0], [1], "float32")).then((t) => t.dispose());
  return { backend, engine: "TensorFlow.js wasm engine" };
}
