// The backends the page switches between. The float64 reference is always there; the CPU backend
// runs its WebAssembly on the page's own thread (threads: 1: its worker pool is Node's
// worker_threads, which a page does not have); WebGPU needs navigator.gpu.
import { type Backend, type DType, ReferenceBackend } from "@unfold/core";

export type BackendName = "reference" | "cpu" | "webgpu";

export const BACKEND_NAMES: readonly BackendName[] = ["reference", "cpu", "webgpu"];

export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = {
  reference: "float64 reference (interpreter)",
  cpu: "CPU (WebAssembly, 1 thread)",
  webgpu: "WebGPU (navigator.gpu)",
};

/** The dtype each backend computes in: the reference in float64, the others in float32. */
export const BACKEND_DTYPES: Readonly<Record<BackendName, DType>> = { reference: "float64", cpu: "float32", webgpu: "float32" };

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
  }
}
