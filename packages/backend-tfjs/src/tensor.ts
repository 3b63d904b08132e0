import type * as TF from "@tensorflow/tfjs";
import { type DeviceTensor, FeedError, type HostTensor } from "@unfold/core";

/**
 * A tensor resident in one TensorFlow.js engine: it wraps a tf.Tensor that lives until this
 * object is disposed. Always float32 (TensorFlow.js has no float64).
 */
export class TfjsTensor implements DeviceTensor {
  readonly dtype = "float32" as const;
  private held: TF.Tensor | undefined;

  constructor(
    readonly backend: string,
    tensor: TF.Tensor,
    readonly shape: readonly number[],
  ) {
    this.held = tensor;
  }

  get disposed(): boolean {
    return this.held === undefined;
  }

  /** The tf.Tensor, for feeding a run. */
  get tensor(): TF.Tensor {
    if (!this.held) throw new FeedError("tfjs backend", "tensor was disposed");
    return this.held;
  }

  async read(): Promise<HostTensor> {
    if (!this.held) throw new FeedError("read", "tensor was disposed");
    // A copy: the cpu engine hands out its own storage, which the caller may then write into.
    const data = Float32Array.from((await this.held.data()) as Float32Array);
    return { shape: this.shape, dtype: this.dtype, data };
  }

  dispose(): void {
    this.held?.dispose();
    this.held = undefined;
  }
}
