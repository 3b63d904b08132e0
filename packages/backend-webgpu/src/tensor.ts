import { type BackendLife, HeldDeviceTensor, type HostTensor } from "@unfold/core";
import type { GpuContext } from "./context.js";
import type { PooledBuffer } from "./pool.js";
import { readBack } from "./readback.js";

export const WEBGPU_BACKEND = "webgpu";

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
  protected readHeld(source: PooledBuffer): Promise<HostTensor> {
    return readBack(this.context, [{ buffer: source, elements: this.elements, shape: this.shape }]).then(([host]) => host!);
  }

  protected free(buffer: PooledBuffer): void {
    this.context.pool.release(buffer);
  }
}
