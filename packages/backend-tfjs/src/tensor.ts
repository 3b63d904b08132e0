import type * as TF from "@tensorflow/tfjs";
import { type DeviceTensor, FeedError, type HostTensor, afterDispose } from "@unfold/core";
import { type Holdings } from "./lifetime.js";

/**
 * A tensor resident in one TensorFlow.js engine: it wraps a tf.Tensor that lives until this
 * object is disposed. Always float32 (TensorFlow.js has no float64).
 */
export class TfjsTensor implements DeviceTensor {
  readonly dtype = "float32" as const;
  private held: TF.Tensor | undefined;

  // Private: a TfjsTensor comes from its backend (upload, a run), whose holdings free it.
  private constructor(
    readonly backend: string,
    tensor: TF.Tensor,
    readonly shape: readonly number[],
    private readonly sharesStorage: boolean,
    private readonly holdings: Holdings,
  ) {
    this.held = tensor;
    holdings.hold(this, [tensor]);
  }

  /**
   * Wraps a tf.Tensor for the backend named `backend`. Left out of the published declarations,
   * as is `tensor`: they name TensorFlow.js's types, which need lib.dom.
   * @param sharesStorage whether tf's data() hands out the tensor's own storage (the cpu engine
   *   does; wasm and webgpu return a fresh copy), so that read() must copy it.
   * @param holdings the backend's: the tensor is freed with it, or when the wrapper is
   *   collected undisposed.
   * @internal
   */
  static wrap(backend: string, tensor: TF.Tensor, shape: readonly number[], sharesStorage: boolean, holdings: Holdings): TfjsTensor {
    return new TfjsTensor(backend, tensor, shape, sharesStorage, holdings);
  }

  /** True once disposed, or once the backend that made it was. */
  get disposed(): boolean {
    return this.held === undefined || this.holdings.disposed;
  }

  /**
   * The tf.Tensor, for feeding a run.
   * @internal
   */
  get tensor(): TF.Tensor {
    if (!this.held) throw new FeedError("tfjs backend", "tensor was disposed");
    return this.held;
  }

  async read(): Promise<HostTensor> {
    if (this.holdings.disposed) throw afterDispose(this.backend, "read");
    if (!this.held) throw new FeedError("read", "tensor was disposed");
    // The cpu engine hands out its own storage, which the caller may then write into: copy it.
    // The others return a fresh array already, and a second copy costs a pass over the data.
    const values = (await this.held.data()) as Float32Array;
    const data = this.sharesStorage ? Float32Array.from(values) : values;
    return { shape: this.shape, dtype: this.dtype, data };
  }

  dispose(): void {
    if (!this.held) return;
    this.holdings.release(this, [this.held]);
    this.held = undefined;
  }
}
