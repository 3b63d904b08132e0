import { UnfoldError } from "@unfold/core";
import type { KernelTarget } from "./codegen/common.js";
import { deviceLost, noAdapter } from "./errors.js";

/** How the backend finds its device. */
export interface WebGpuBackendOptions {
  /** A device to run on; the backend uses it as it is and leaves it alive on dispose. */
  readonly device?: GPUDevice;
  /** Where to ask for an adapter; by default navigator.gpu, else Dawn (the `webgpu` package) in Node. */
  readonly gpu?: GPU;
  /** WebGPU's GPUPowerPreference, spelled out so the declarations need no WebGPU type alias. */
  readonly powerPreference?: "low-power" | "high-performance";
  /**
   * Which kernel shapes to generate: "cpu" for a software adapter, "gpu" for a real GPU. By
   * default ("auto") the device's adapter decides: a fallback adapter is a CPU implementation.
   */
  readonly target?: KernelTarget | "auto";
}

type DawnModule = { create(options: string[]): GPU };

/**
 * Dawn's instance, one per process for its whole life, shared by every backend that found no
 * navigator.gpu. An instance costs about 2 MB of native memory that Dawn does not give back when
 * it is dropped, so making one per backend grew a process by gigabytes over a thousand backend
 * lives; one kept instance holds no device and does not keep Node's event loop alive. Kept on
 * globalThis under a registered symbol so that two copies of this module (built and source, or a
 * test runner's per-file module graphs) still share it, and it can never be collected while a
 * device made from it lives (Dawn aborts then).
 */
const DAWN_KEY = Symbol.for("@unfold/backend-webgpu:dawn");

async function loadDawn(): Promise<GPU> {
  // A specifier in a variable keeps bundlers from pulling Dawn's native addon into browser builds.
  const specifier = "webgpu";
  let mod: DawnModule;
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch {
    throw noAdapter("no navigator.gpu, and the `webgpu` package (Dawn for Node) could not be loaded");
  }
  return mod.create([]);
}

/** The process's Dawn instance, made on first use; a failed load is not kept, so a later backend tries again. */
function processDawn(): Promise<GPU> {
  const holder = globalThis as { [DAWN_KEY]?: Promise<GPU> };
  let gpu = holder[DAWN_KEY];
  if (!gpu) {
    gpu = loadDawn();
    holder[DAWN_KEY] = gpu;
    gpu.catch(() => {
      if (holder[DAWN_KEY] === gpu) delete holder[DAWN_KEY];
    });
  }
  return gpu;
}

/**
 * The device a backend runs on and what happened to it: a lost device is recorded (with its
 * reason) so the next operation fails with it, and the first uncaptured validation error too,
 * since otherwise it would only show as wrong numbers.
 */
export class DeviceState {
  /**
   * What the device's handlers saw. The handlers reach only this record, never the device: Dawn
   * holds a listener from the device's native side, so a listener that led back to the device
   * would keep the destroyed device (and every pipeline it compiled) alive for good.
   */
  private readonly fault: { lost?: GPUDeviceLostInfo; error?: string } = {};
  private readonly onError: (event: Event) => void;

  constructor(
    readonly device: GPUDevice,
    private readonly owned: boolean,
  ) {
    const fault = this.fault;
    void device.lost.then((info) => {
      fault.lost = info;
    });
    this.onError = (event) => {
      fault.error ??= (event as GPUUncapturedErrorEvent).error.message;
    };
    device.addEventListener("uncapturederror", this.onError);
  }

  get lost(): GPUDeviceLostInfo | undefined {
    return this.fault.lost;
  }

  /** Throws when the device can no longer run anything. */
  check(op: string): void {
    if (this.lost) throw deviceLost(op, this.lost.reason, this.lost.message);
    if (this.fault.error) throw new UnfoldError(op, `the WebGPU device reported an error: ${this.fault.error}`);
  }

  /** After an operation failed: the lost device's reason if that is why (it may arrive a moment later). */
  async explain(op: string, error: unknown): Promise<Error> {
    const info = this.lost ?? (await Promise.race([this.device.lost, new Promise<undefined>((r) => setTimeout(r, 50))]));
    if (info) return deviceLost(op, info.reason, info.message);
    return error instanceof Error ? error : new UnfoldError(op, String(error));
  }

  /** Destroys a device the backend created; a device passed in stays alive, without this backend's listener. */
  destroy(): void {
    this.device.removeEventListener("uncapturederror", this.onError);
    if (this.owned) this.device.destroy();
  }
}

/**
 * The kernel target for a device: "cpu" when its adapter reports itself a fallback adapter (a
 * software rasterizer such as lavapipe or SwiftShader, which WebGPU marks so), else "gpu".
 * Devices from implementations without adapterInfo are taken to be GPUs.
 */
export function targetOf(device: GPUDevice, requested: KernelTarget | "auto" = "auto"): KernelTarget {
  if (requested !== "auto") return requested;
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return info?.isFallbackAdapter === true ? "cpu" : "gpu";
}

/** The limits the backend needs raised above WebGPU's defaults, as far as the adapter allows. */
function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const l = adapter.limits;
  return {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  };
}

/**
 * A device: the one given, or one from navigator.gpu (a browser, or a host that installed one),
 * or from the process's Dawn instance in Node. The same code runs on all three; only where the
 * GPU object comes from differs.
 */
export async function openDevice(options: WebGpuBackendOptions = {}): Promise<DeviceState> {
  if (options.device) return new DeviceState(options.device, false);
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  const gpu = options.gpu ?? navigatorGpu ?? (await processDawn());
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : {});
  if (!adapter) throw noAdapter("requestAdapter() returned null");
  const device = await adapter.requestDevice({ requiredLimits: requiredLimits(adapter) });
  return new DeviceState(device, true);
}
