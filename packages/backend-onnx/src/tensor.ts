import { type BackendLife, type DType, HeldDeviceTensor, type HostTensor } from "@unfold/core";
import type * as Ort from "onnxruntime-web";

/** The ONNX backend's name, and so the `backend` of every tensor it holds (`DeviceTensor.backend === backend.name`). */
export const ONNX_BACKEND = "onnx";

/**
 * A tensor held for the ONNX backend: an ort.Tensor in host memory. onnxruntime-web's wasm
 * provider has no tensors that persist on its side between runs (inputs are copied into the
 * WebAssembly heap for each run and outputs copied out), so "resident" here means kept as an
 * ort.Tensor that is fed again without conversion.
 */
// The held handle is typed `object` in the class's heritage and protected members, which the
// published declarations show: an ort.Tensor there would pull in onnxruntime-web's types, which
// need lib.dom. Only the internal accessors name Ort.Tensor.
export class OnnxTensor extends HeldDeviceTensor<object> {
  // Private: an OnnxTensor comes from its backend (upload, a run), which shares its life with it.
  private constructor(life: BackendLife, tensor: Ort.Tensor, shape: readonly number[], dtype: DType) {
    super(life, tensor, shape, dtype);
  }

  /**
   * Wraps an ort.Tensor for the backend whose life is `life`: once it is disposed, so is this
   * tensor. Left out of the published declarations, as is `ortTensor`: they name
   * onnxruntime-web's types, which need lib.dom.
   * @internal
   */
  static wrap(tensor: Ort.Tensor, shape: readonly number[], dtype: DType, life: BackendLife): OnnxTensor {
    return new OnnxTensor(life, tensor, shape, dtype);
  }

  /**
   * The ort.Tensor, for feeding a session.
   * @internal
   */
  get ortTensor(): Ort.Tensor {
    return this.held("onnx backend") as Ort.Tensor;
  }

  protected async readHeld(tensor: object): Promise<HostTensor> {
    const data = (tensor as Ort.Tensor).data as Float32Array | Float64Array;
    // A copy: the caller may write into what it reads.
    return { shape: this.shape, dtype: this.dtype, data: this.dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data) };
  }

  /**
   * Only drops the reference: two OnnxTensors may wrap ort.Tensors over one buffer (a feed
   * passed through), and ort's dispose of a CPU tensor would release data the other still reads.
   */
  protected free(): void {}
}
