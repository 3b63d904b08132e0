import type { KernelTarget } from "./codegen/common.js";
import type { DeviceState } from "./device.js";
import { BufferPool } from "./pool.js";
import { PipelineCache } from "./pipelines.js";

/** What every part of one backend instance shares: its device, buffer pool and pipelines. */
export class GpuContext {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** The device's maxStorageBufferBindingSize: no tensor may be larger. */
  readonly maxBindingBytes: number;
  readonly maxBindings: number;

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
}
