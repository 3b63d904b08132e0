import { type BackendLife, HeldDeviceTensor, type HostTensor } from "@unfold/core";
import { type GpuContext, disposedError } from "./context.js";
import type { PooledBuffer } from "./pool.js";

export const WEBGPU_BACKEND = "webgpu";

const MAP_READ = 0x1;

/** A float32 tensor resident in a GPU buffer on loan from its backend's pool. */
export class WebGpuTensor extends HeldDeviceTensor<PooledBuffer> {
  /** @param life the backend's: once it is disposed, so is this tensor. */
  constructor(
    life: BackendLife,
    readonly context: GpuContext,
    buffer: PooledBuffer,
    shape: readonly number[],
    readonly elements: number,
  ) {
    super(life, buffer, shape, "float32");
  }

  /** The buffer, for binding; throws once disposed. */
  get buffer(): PooledBuffer {
    return this.held("read");
  }

  /** A lost device is reported before a disposed tensor, as a run does. */
  protected override checkReadable(): void {
    this.context.check("read");
  }

  /** Copies to a mappable staging buffer and maps it: asynchronous, like the GPU. */
  protected async readHeld(source: PooledBuffer): Promise<HostTensor> {
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

  protected free(buffer: PooledBuffer): void {
    this.context.pool.release(buffer);
  }
}
