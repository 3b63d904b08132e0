import { type Backend, type CompileOptions, CompileCache, DTypeError, type DType, type DeviceTensor, type HostTensor, type Program, UnfoldError } from "@unfold/core";
import { type OnnxExecutable, bindSession } from "./executable.js";
import { buildOnnxModel } from "./export.js";
import { type ExecutionProvider, type OrtModule, checkProvider, loadOrt } from "./runtime.js";
import { OnnxTensor } from "./tensor.js";

export interface OnnxBackendOptions {
  /** onnxruntime-web's execution provider (default "wasm"; "webgpu" needs a browser with WebGPU). */
  readonly executionProvider?: ExecutionProvider;
  /**
   * Threads of the wasm provider. Process-wide: onnxruntime-web fixes it when its first session
   * starts (default 1 when nobody asked before).
   */
  readonly threads?: number;
  /** The ONNX opset models are built in (17 to 21, default 18). */
  readonly opset?: number;
}

export interface OnnxEngineInfo {
  /** onnxruntime-web's version. */
  readonly version: string;
  readonly executionProvider: ExecutionProvider;
  /** Threads of the wasm execution provider in this process. */
  readonly threads: number;
}

/**
 * The ONNX backend: each program becomes an ONNX model of standard operators (once per program
 * and compile options, through core's CompileCache), run by an onnxruntime-web InferenceSession.
 */
export class OnnxBackend implements Backend {
  readonly name = "onnx";
  readonly dtypes: readonly DType[] = ["float32", "float64"];
  private readonly plans = new CompileCache<OnnxExecutable>();
  private readonly provider: ExecutionProvider;
  private disposed = false;

  constructor(private readonly options: OnnxBackendOptions = {}) {
    this.provider = options.executionProvider ?? "wasm";
    checkProvider(this.provider);
  }

  private ort(): Promise<OrtModule> {
    return loadOrt(this.options.threads);
  }

  async compile(program: Program, options: CompileOptions = {}): Promise<OnnxExecutable> {
    if (this.disposed) throw new UnfoldError("onnx backend", "the backend was disposed");
    if (this.provider === "webgpu") {
      // WebGPU has no double type: onnxruntime would move float64 nodes back to the CPU one by one.
      const f64 = program.nodes.find((n) => n.dtype === "float64");
      if (f64) throw new DTypeError("compile", `onnx backend on webgpu: %${f64.id} (${f64.op}) is float64, which WebGPU cannot compute`);
    }
    for (const node of program.nodes) {
      if (!this.dtypes.includes(node.dtype)) throw new DTypeError("compile", `onnx backend: %${node.id} (${node.op}) is ${node.dtype}`);
    }
    const ort = await this.ort();
    const build = async (): Promise<OnnxExecutable> => {
      const model = buildOnnxModel(program, this.options.opset !== undefined ? { opset: this.options.opset } : {});
      const session = await ort.InferenceSession.create(model.bytes, { executionProviders: [this.provider], graphOptimizationLevel: optimizationLevel(program, this.provider) });
      return bindSession(ort, program, model, session, options);
    };
    return this.plans.get(program, build, options.poison ? "poison" : "");
  }

  /**
   * What onnxruntime-web runs with, after loading it: its version, the execution provider, and
   * the wasm provider's thread count (process-wide, so possibly set by another user of ORT).
   */
  async engineInfo(): Promise<OnnxEngineInfo> {
    const ort = await this.ort();
    return { version: ort.env.versions.web ?? "unknown", executionProvider: this.provider, threads: ort.env.wasm.numThreads ?? 1 };
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    const ort = await this.ort();
    // A copy, so later writes to the caller's array do not reach the resident tensor.
    const data = tensor.dtype === "float32" ? Float32Array.from(tensor.data) : Float64Array.from(tensor.data);
    return new OnnxTensor(new ort.Tensor(tensor.dtype, data, [...tensor.shape]), [...tensor.shape], tensor.dtype);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const pending = this.plans.all();
    this.plans.clear();
    for (const plan of pending) await (await plan.catch(() => undefined))?.release();
  }
}

/**
 * onnxruntime's extended graph fusions carry constants as float32 attributes (MatMul + Mul
 * becomes FusedMatMul with a float alpha) or swap in kernels of another formula (LayerNormFusion
 * computes E[x^2] - E[x]^2): harmless in float32, errors of 1e-8 in float64, far above its 1e-12.
 * Programs that compute in float64 get only the basic, exact rewrites.
 */
function optimizationLevel(program: Program, provider: ExecutionProvider): "basic" | "all" {
  // The WebGPU provider's extended fusions gave wrong float32 results in headless Chromium (a
  // sigmoid of large |x| came out as sigmoid(0.5)); the basic level keeps them exact there.
  if (provider === "webgpu") return "basic";
  return program.nodes.some((n) => n.dtype === "float64") ? "basic" : "all";
}
