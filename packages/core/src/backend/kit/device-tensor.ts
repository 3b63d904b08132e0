import type { DType } from "../../dtype.js";
import { FeedError } from "../../errors.js";
import type { Shape } from "../../shape.js";
import type { DeviceTensor } from "../backend.js";
import type { HostTensor } from "../tensor.js";
import type { BackendLife } from "./life.js";

/**
 * The state every backend's tensor keeps: it holds a handle (an array, a tf.Tensor, an
 * ort.Tensor, a buffer) until its own dispose(), and reports disposed once either it or its
 * backend was. Reading after the backend's dispose() gets the one after-dispose error
 * ("tfjs-cpu: read after dispose(): ..."), reading a disposed tensor "read: tensor was
 * disposed". A backend extends it with how to copy the handle to the host and how to free it.
 * See docs/backend-lifetimes.md.
 * @typeParam H the backend's handle on the values.
 */
export abstract class HeldDeviceTensor<H> implements DeviceTensor {
  private handle: H | undefined;

  protected constructor(
    protected readonly life: BackendLife,
    handle: H,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {
    this.handle = handle;
  }

  /** The `name` of the backend that made this tensor. */
  get backend(): string {
    return this.life.backend;
  }

  /** True once disposed, or once the backend that made it was. */
  get disposed(): boolean {
    return this.handle === undefined || this.life.disposed;
  }

  /** The handle, for feeding a run; `op` starts the error once the tensor was disposed. */
  protected held(op: string): H {
    if (this.handle === undefined) throw new FeedError(op, "tensor was disposed");
    return this.handle;
  }

  async read(): Promise<HostTensor> {
    this.life.check("read");
    this.checkReadable();
    return this.readHeld(this.held("read"));
  }

  /** What a read checks after the backend's liveness and before the handle (a lost device); nothing by default. */
  protected checkReadable(): void {}

  /** Frees the handle once; harmless when called twice or after the backend's dispose(). */
  dispose(): void {
    if (this.handle === undefined) return;
    const handle = this.handle;
    this.handle = undefined;
    this.free(handle);
  }

  /** Copies the values to the host: a copy the caller may write into. */
  protected abstract readHeld(handle: H): Promise<HostTensor>;

  /** Frees what the handle holds, called once on the first dispose(). */
  protected abstract free(handle: H): void;
}
