import type { Backend } from "@unfold/core";
import { backendEngine } from "./backend-adapter.js";
import type { Engine } from "./engine.js";
import { loadTf, wasmDetail } from "./tfjs.js";
import { tensorBytes, withTensorPeak } from "./tfjs-memory.js";

/**
 * @unfold/backend-tfjs's TfjsBackend on TensorFlow.js's wasm engine, through the generic adapter,
 * set up as the tfjs-wasm peer is: the same TensorFlow.js instance in production mode, SIMD, one
 * thread in Node. The comparison is then between Unfold's lowering and hand-written tfjs code.
 */
export function tfjsBackendEngine(): Engine {
  return backendEngine(
    "unfold-tfjs",
    async (): Promise<Backend> => {
      await loadTf();
      const { TfjsBackend } = await import("@unfold/backend-tfjs");
      return new TfjsBackend({ engine: "wasm" });
    },
    {
      detail: async () => {
        const tf = await loadTf();
        return `TensorFlow.js ${tf.version.tfjs} 'wasm' engine${await wasmDetail(tf)}`;
      },
      // Its tensors live in TensorFlow.js's wasm memory, as the tfjs-wasm peer's do: the same measure.
      watch: async () => {
        const tf = await loadTf();
        const before = tensorBytes(tf);
        return (run) => withTensorPeak(tf, run, before);
      },
    },
  );
}
