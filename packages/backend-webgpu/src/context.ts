import { type DisposedUse, type UnfoldError, afterDispose } from "@unfold/core";
import type { KernelTarget } from "./codegen/common.js";
import type { DeviceState } from "./device.js";
import { BufferPool } from "./pool.js";
import { PipelineCache } from "./pipelines.js";
import { WEBGPU_BACKEND } from "./tensor.js";

/** What every part of one backend instance shares: its device, buffer pool and pipelines. */
export class GpuContext {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** The device's maxStorageBufferBindingSize: no tensor may be larger. */
  readonly maxBindingBytes: number;
  readonly maxBindings: number;
  /** Set by the backend's dispose(): everything made from this context is dead from then on. */
  disposed = false;
  /** Command buffers submitted and staging buffers mapped (readbacks) so far: see WebGpuStats. */
  readonly counts = { submits: 0, readbacks: 0 };

  constructor(
    readonly state: DeviceState,
    /** The kind of processor kernels are shaped for. */
    readonly target: KernelTarget = "gpu",
  ) {
    const limits = state.device.limits;
    this.maxBindingBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    this.maxBindings = limits.maxStorageBuffersPerShaderStage;
    this.pool = new BufferPool(state.device, this.maxBindingBytes);
    this.pipelines = new PipelineCache(state.device);
  }

  get device(): GPUDevice {
    return this.state.device;
  }

  /** Throws for `op` (run, read, ...) once the backend is disposed, then when the device cannot run anything. */
  check(op: DisposedUse): void {
    if (this.disposed) throw disposedError(op);
    this.state.check(op);
  }
}

/** The one error for any use of a disposed backend, its executables or its tensors: core's, as on every backend. */
export function disposedError(op: DisposedUse): UnfoldError {
  return afterDispose(WEBGPU_BACKEND, op);
}
