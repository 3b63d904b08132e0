import { type DeviceTensor, FeedError, type HostTensor } from "@unfold/core";
import { type GpuContext, disposedError } from "./context.js";
import type { PooledBuffer } from "./pool.js";

export const WEBGPU_BACKEND = "webgpu";

const MAP_READ = 0x1;

/** A float32 tensor resident in a GPU buffer on loan from its backend's pool. */
export class WebGpuTensor implements DeviceTensor {
  readonly backend = WEBGPU_BACKEND;
  readonly dtype = "float32" as const;
  private held: PooledBuffer | undefined;

  constructor(
    readonly context: GpuContext,
    buffer: PooledBuffer,
    readonly shape: readonly number[],
    readonly elements: number,
  ) {
    this.held = buffer;
  }

  /** Disposed on its own, or with its backend. */
  get disposed(): boolean {
    return this.held === undefined || this.context.disposed;
  }

  /** The buffer, for binding; throws once disposed. */
  get buffer(): PooledBuffer {
    if (!this.held) throw new FeedError("read", "tensor was disposed");
    return this.held;
  }

  /** Copies to a mappable staging buffer and maps it: asynchronous, like the GPU. */
  async read(): Promise<HostTensor> {
    this.context.check("read");
    const source = this.buffer;
    const { state, pool, device } = this.context;
    const bytes = this.elements * 4;
    if (bytes === 0) return { shape: this.shape, dtype: "float32", data: new Float32Array(0) };
    const staging = pool.acquire(bytes, "readback");
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(source.buffer, 0, staging.buffer, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await staging.buffer.mapAsync(MAP_READ, 0, bytes);
      const data = new Float32Array(staging.buffer.getMappedRange(0, bytes).slice(0));
      staging.buffer.unmap();
      return { shape: this.shape, dtype: "float32", data };
    } catch (error) {
      throw this.context.disposed ? disposedError("read") : await state.explain("read", error);
    } finally {
      pool.release(staging);
    }
  }

  dispose(): void {
    if (!this.held) return;
    this.context.pool.release(this.held);
    this.held = undefined;
  }
}
