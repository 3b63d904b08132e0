import { UnfoldError } from "@unfold/core";
import type { KernelTarget } from "./codegen/common.js";
import { deviceLost, noAdapter } from "./errors.js";

/** How the backend finds its device. */
export interface WebGpuBackendOptions {
  /** A device to run on; the backend uses it as it is and leaves it alive on dispose. */
  readonly device?: GPUDevice;
  /** Where to ask for an adapter; by default navigator.gpu, else Dawn (the `webgpu` package) in Node. */
  readonly gpu?: GPU;
  readonly powerPreference?: GPUPowerPreference;
  /**
   * Which kernel shapes to generate: "cpu" for a software adapter, "gpu" for a real GPU. By
   * default ("auto") the device's adapter decides: a fallback adapter is a CPU implementation.
   */
  readonly target?: KernelTarget | "auto";
}

type DawnModule = { create(options: string[]): GPU };

/**
 * One Dawn instance per process, shared by every backend that found no navigator.gpu and
 * counted, so the last backend to dispose drops it (and Node's event loop with it).
 */
let dawn: { gpu: Promise<GPU>; refs: number } | undefined;

async function loadDawn(): Promise<GPU | undefined> {
  // A specifier in a variable keeps bundlers from pulling Dawn's native addon into browser builds.
  const specifier = "webgpu";
  try {
    const mod = (await import(/* @vite-ignore */ specifier)) as DawnModule;
    return mod.create([]);
  } catch {
    return undefined;
  }
}

function acquireDawn(): { gpu: Promise<GPU>; release: () => void } {
  if (!dawn) {
    const gpu = loadDawn().then((g) => {
      if (!g) throw noAdapter("no navigator.gpu, and the `webgpu` package (Dawn for Node) could not be loaded");
      return g;
    });
    dawn = { gpu, refs: 0 };
  }
  const held = dawn;
  held.refs++;
  let released = false;
  return {
    gpu: held.gpu,
    release: () => {
      if (released) return;
      released = true;
      if (--held.refs === 0 && dawn === held) dawn = undefined;
    },
  };
}

/**
 * The device a backend runs on and what happened to it: a lost device is recorded (with its
 * reason) so the next operation fails with it, and the first uncaptured validation error too,
 * since otherwise it would only show as wrong numbers.
 */
export class DeviceState {
  lost: GPUDeviceLostInfo | undefined;
  private error: string | undefined;

  constructor(
    readonly device: GPUDevice,
    private readonly owned: boolean,
    private readonly release: () => void,
    /** Held so the instance outlives the device: Dawn crashes if its instance is collected first. */
    readonly gpu?: GPU,
  ) {
    void device.lost.then((info) => {
      this.lost = info;
    });
    device.addEventListener("uncapturederror", (event) => {
      this.error ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** Throws when the device can no longer run anything. */
  check(op: string): void {
    if (this.lost) throw deviceLost(op, this.lost.reason, this.lost.message);
    if (this.error) throw new UnfoldError(op, `the WebGPU device reported an error: ${this.error}`);
  }

  /** After an operation failed: the lost device's reason if that is why (it may arrive a moment later). */
  async explain(op: string, error: unknown): Promise<Error> {
    const info = this.lost ?? (await Promise.race([this.device.lost, new Promise<undefined>((r) => setTimeout(r, 50))]));
    if (info) return deviceLost(op, info.reason, info.message);
    return error instanceof Error ? error : new UnfoldError(op, String(error));
  }

  destroy(): void {
    if (this.owned) this.device.destroy();
    this.release();
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

/** A device: the one given, or one from navigator.gpu, or from Dawn in Node. */
export async function openDevice(options: WebGpuBackendOptions = {}): Promise<DeviceState> {
  if (options.device) return new DeviceState(options.device, false, () => undefined);
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  const held = (options.gpu ?? navigatorGpu) ? undefined : acquireDawn();
  try {
    const gpu = options.gpu ?? navigatorGpu ?? (await held!.gpu);
    const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : {});
    if (!adapter) throw noAdapter("requestAdapter() returned null");
    const device = await adapter.requestDevice({ requiredLimits: requiredLimits(adapter) });
    return new DeviceState(device, true, held?.release ?? (() => undefined), gpu);
  } catch (error) {
    held?.release();
    throw error;
  }
}
