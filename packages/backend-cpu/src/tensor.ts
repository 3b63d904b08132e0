import { type DType, type DeviceTensor, FeedError, type HostTensor, afterDispose } from "@unfold/core";
import type { Arena } from "./memory.js";

export const CPU_BACKEND = "cpu";

/** A tensor resident in a CPU backend's memory: a region of its arena. */
export class CpuTensor implements DeviceTensor {
  readonly backend = CPU_BACKEND;
  private live = true;

  constructor(
    readonly arena: Arena,
    /** Byte offset in the arena. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly elements: number,
  ) {}

  /** True once disposed, or once the backend that holds it was. */
  get disposed(): boolean {
    return !this.live || this.arena.closed;
  }

  get bytes(): number {
    return this.elements * (this.dtype === "float32" ? 4 : 8);
  }

  async read(): Promise<HostTensor> {
    if (this.arena.closed) throw afterDispose(CPU_BACKEND, "read");
    if (!this.live) throw new FeedError("read", "tensor was disposed");
    const data = this.dtype === "float32" ? new Float32Array(this.elements) : new Float64Array(this.elements);
    const start = this.offset / (this.dtype === "float32" ? 4 : 8);
    data.set(this.arena.view(this.dtype).subarray(start, start + this.elements));
    return { shape: this.shape, dtype: this.dtype, data };
  }

  dispose(): void {
    if (!this.live) return;
    this.live = false;
    if (!this.arena.closed) this.arena.release(this.offset, this.bytes);
  }
}
