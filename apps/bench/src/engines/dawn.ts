import { EngineUnavailable, messageOf } from "./engine.js";

/** The slice of the WebGPU API the engines touch here (types stay out of the bench's build). */
interface Gpu {
  requestAdapter(): Promise<unknown>;
}

let shared: Promise<Gpu> | undefined;

/** How to get an adapter on a machine without a GPU (the same script CI runs). */
export const WEBGPU_HINT = "no WebGPU adapter: on Debian run `sudo bash scripts/install-webgpu-driver.sh` (Mesa's software Vulkan driver), or use a machine with a GPU";

/**
 * One WebGPU entry point for the whole process, shared by unfold-webgpu and tfjs-webgpu so both
 * run on the same adapter: the browser's navigator.gpu where there is one, else Dawn (the `webgpu`
 * package), installed as navigator.gpu (with WebGPU's global constants) for libraries that look
 * there. Kept for the life of the process: Dawn aborts if its instance is collected while a
 * device lives.
 */
export function sharedGpu(): Promise<Gpu> {
  shared ??= (async () => {
    const existing = (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
    let gpu: Gpu;
    if (existing) gpu = existing;
    else {
      let dawn: { create(options: string[]): Gpu; globals: object };
      try {
        dawn = (await import("webgpu")) as unknown as typeof dawn;
      } catch (error) {
        throw new EngineUnavailable(`the webgpu package (Dawn) failed to load: ${messageOf(error)}`);
      }
      Object.assign(globalThis, dawn.globals);
      gpu = dawn.create([]);
      const nav = (globalThis as { navigator?: object }).navigator;
      if (nav) Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
      else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
    }
    if (!(await gpu.requestAdapter())) throw new EngineUnavailable(WEBGPU_HINT);
    return gpu;
  })();
  // A failed start is not kept: a later engine gets the same clear error, not a stale promise.
  shared.catch(() => (shared = undefined));
  return shared;
}
