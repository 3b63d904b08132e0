import { type DType, type DeviceTensor, FeedError, type HostTensor, afterDispose } from "@unfold/core";
import type * as Ort from "onnxruntime-web";
import { type Life } from "./lifetime.js";

/** The ONNX backend's name, and so the `backend` of every tensor it holds (`DeviceTensor.backend === backend.name`). */
export const ONNX_BACKEND = "onnx";

/**
 * A tensor held for the ONNX backend: an ort.Tensor in host memory. onnxruntime-web's wasm
 * provider has no tensors that persist on its side between runs (inputs are copied into the
 * WebAssembly heap for each run and outputs copied out), so "resident" here means kept as an
 * ort.Tensor that is fed again without conversion.
 */
export class OnnxTensor implements DeviceTensor {
  readonly backend = ONNX_BACKEND;
  private held: Ort.Tensor | undefined;

  // Private: an OnnxTensor comes from its backend (upload, a run), which shares its life with it.
  private constructor(
    tensor: Ort.Tensor,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** The backend's: once it is disposed, so is this tensor. */
    private readonly life: Life,
  ) {
    this.held = tensor;
  }

  /**
   * Wraps an ort.Tensor for the backend whose life is `life`. Left out of the published
   * declarations, as is `ortTensor`: they name onnxruntime-web's types, which need lib.dom.
   * @internal
   */
  static wrap(tensor: Ort.Tensor, shape: readonly number[], dtype: DType, life: Life): OnnxTensor {
    return new OnnxTensor(tensor, shape, dtype, life);
  }

  /** True once disposed, or once the backend that made it was. */
  get disposed(): boolean {
    return this.held === undefined || this.life.disposed;
  }

  /**
   * The ort.Tensor, for feeding a session.
   * @internal
   */
  get ortTensor(): Ort.Tensor {
    if (!this.held) throw new FeedError("onnx backend", "tensor was disposed");
    return this.held;
  }

  async read(): Promise<HostTensor> {
    if (this.life.disposed) throw afterDispose(ONNX_BACKEND, "read");
    if (!this.held) throw new FeedError("read", "tensor was disposed");
    const data = this.held.data as Float32Array | Float64Array;
    // A copy: the caller may write into what it reads.
    return { shape: this.shape, dtype: this.dtype, data: this.dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data) };
  }

  dispose(): void {
    // Only drop the reference: two OnnxTensors may wrap ort.Tensors over one buffer (a feed
    // passed through), and ort's dispose of a CPU tensor would release data the other still reads.
    this.held = undefined;
  }
}
