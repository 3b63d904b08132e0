import type { Backend } from "@unfold/core";
import type { WebGpuBackend } from "@unfold/backend-webgpu";
import { backendEngine, peakOverBefore } from "./backend-adapter.js";
import { sharedGpu } from "./dawn.js";
import type { Engine } from "./engine.js";

/**
 * @unfold/backend-webgpu's WebGpuBackend through the generic adapter, on the process's one WebGPU
 * adapter (the one tfjs-webgpu uses too): Dawn in Node, on a real GPU or on Mesa's lavapipe,
 * where GPU figures are CPU-bound.
 */
export function webgpuEngine(): Engine {
  let adapterName = "";
  return backendEngine(
    "unfold-webgpu",
    async (): Promise<Backend> => {
      const gpu = await sharedGpu();
      const { WebGpuBackend } = await import("@unfold/backend-webgpu");
      const adapter = (await gpu.requestAdapter()) as { info?: { vendor?: string; architecture?: string; description?: string } } | null;
      adapterName = [adapter?.info?.description, adapter?.info?.vendor, adapter?.info?.architecture].filter(Boolean).join(" / ");
      return WebGpuBackend.create({ gpu: gpu as never });
    },
    {
      detail: async () => `adapter ${adapterName || "unknown"}`,
      // GPU buffers are invisible to the JavaScript heap: the pool's peak of bytes on loan
      // during prepare and check, less what was on loan before (other workloads' executables).
      watch: async (b) => {
        const gpu = b as WebGpuBackend;
        return peakOverBefore({ reset: () => gpu.resetPeakMemory(), live: () => gpu.stats().pool.liveBytes, peak: () => gpu.stats().pool.peakLiveBytes });
      },
    },
  );
}
