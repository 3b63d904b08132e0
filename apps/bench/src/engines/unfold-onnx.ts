import type { OnnxBackend } from "@unfold/backend-onnx";
import type { Backend } from "@unfold/core";
import { backendEngine } from "./backend-adapter.js";
import type { Engine } from "./engine.js";
import { ORT_THREADS } from "./ort.js";

/**
 * @unfold/backend-onnx's OnnxBackend through the generic adapter: Unfold's own ONNX export, run by
 * onnxruntime-web on its wasm execution provider with the thread count the ort-wasm peer uses
 * (the runtime is one per process, so the two must agree anyway).
 */
export function onnxEngine(): Engine {
  return backendEngine(
    "unfold-onnx",
    async (): Promise<Backend> => {
      // Loaded on first use: onnxruntime-web is only needed when this engine runs.
      const { OnnxBackend } = await import("@unfold/backend-onnx");
      return new OnnxBackend({ executionProvider: "wasm", threads: ORT_THREADS });
    },
    {
      detail: async (backend) => {
        // What onnxruntime-web actually runs with: the thread count is fixed once per process.
        const { version, executionProvider, threads } = await (backend as OnnxBackend).engineInfo();
        return `onnxruntime-web ${version}, ${executionProvider} execution provider, ${threads} thread${threads === 1 ? "" : "s"}`;
      },
    },
  );
}
