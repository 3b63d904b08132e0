import type * as TF from "@tensorflow/tfjs";
import { type BackendLife, HeldDeviceTensor, type HostTensor } from "@unfold/core";
import { type Holdings } from "./lifetime.js";

/**
 * A tensor resident in one TensorFlow.js engine: it wraps a tf.Tensor that lives until this
 * object is disposed. Always float32 (TensorFlow.js has no float64).
 */
// The held handle is typed `object` in the class's heritage and protected members, which the
// published declarations show: a tf.Tensor there would pull in TensorFlow.js's types, which need
// lib.dom. Only the internal accessors name TF.Tensor.
export class TfjsTensor extends HeldDeviceTensor<object> {
  // Private: a TfjsTensor comes from its backend (upload, a run), whose holdings free it.
  private constructor(
    life: BackendLife,
    tensor: TF.Tensor,
    shape: readonly number[],
    private readonly sharesStorage: boolean,
    private readonly holdings: Holdings,
  ) {
    super(life, tensor, shape, "float32");
    holdings.hold(this, [tensor]);
  }

  /**
   * Wraps a tf.Tensor for the backend whose life is `life`. Left out of the published
   * declarations, as is `tensor`: they name TensorFlow.js's types, which need lib.dom.
   * @param sharesStorage whether tf's data() hands out the tensor's own storage (the cpu engine
   *   does; wasm and webgpu return a fresh copy), so that read() must copy it.
   * @param holdings the backend's: the tensor is freed with it, or when the wrapper is
   *   collected undisposed.
   * @internal
   */
  static wrap(life: BackendLife, tensor: TF.Tensor, shape: readonly number[], sharesStorage: boolean, holdings: Holdings): TfjsTensor {
    return new TfjsTensor(life, tensor, shape, sharesStorage, holdings);
  }

  /**
   * The tf.Tensor, for feeding a run.
   * @internal
   */
  get tensor(): TF.Tensor {
    return this.held("tfjs backend") as TF.Tensor;
  }

  protected async readHeld(handle: object): Promise<HostTensor> {
    const tensor = handle as TF.Tensor;
    // The cpu engine hands out its own storage, which the caller may then write into: copy it.
    // The others return a fresh array already, and a second copy costs a pass over the data.
    const values = (await tensor.data()) as Float32Array;
    const data = this.sharesStorage ? Float32Array.from(values) : values;
    return { shape: this.shape, dtype: this.dtype, data };
  }

  protected free(tensor: object): void {
    this.holdings.release(this, [tensor as TF.Tensor]);
  }
}
