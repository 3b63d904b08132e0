import { availableParallelism } from "node:os";
import { type Backend, ReferenceBackend } from "@unfold/core";

/** The backends the soak check lives through, in the order it runs them. */
export const SOAK_BACKENDS = ["reference", "cpu", "onnx", "tfjs", "webgpu"] as const;
export type SoakBackend = (typeof SOAK_BACKENDS)[number];

/**
 * A fresh backend of each kind, made as the trainer makes them (its --backend choices), each
 * package loaded on first use so a child process loads only its own.
 */
export const SOAK_FACTORIES: Readonly<Record<SoakBackend, () => Promise<Backend>>> = {
  reference: async () => new ReferenceBackend(),
  cpu: async () => new (await import("@unfold/backend-cpu")).CpuBackend(),
  onnx: async () => new (await import("@unfold/backend-onnx")).OnnxBackend({ executionProvider: "wasm", threads: availableParallelism() }),
  tfjs: async () => new (await import("@unfold/backend-tfjs")).TfjsBackend({ engine: "wasm" }),
  // No gpu option: the backend finds Dawn itself, as an application's would, so the soak sees
  // what a user's process holds across backend lives.
  webgpu: async () => (await import("@unfold/backend-webgpu")).WebGpuBackend.create(),
};
