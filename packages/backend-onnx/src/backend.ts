import { type Backend, BackendLife, type CompileOptions, CompilePipeline, DTypeError, DTYPES, type DType, type DeviceTensor, type HostTensor, type Program, afterDispose, unsupportedNode } from "@unfold/core";
import { type OnnxExecutable, bindSession } from "./executable.js";
import { buildOnnxModel } from "./export.js";
import { type ExecutionProvider, checkProvider } from "./provider.js";
import { type OrtModule, loadOrt } from "./runtime.js";
import { ONNX_BACKEND, OnnxTensor } from "./tensor.js";

/** Options of the `OnnxBackend` constructor: where onnxruntime-web runs the models, and the opset they are built in. */
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

/** What `OnnxBackend.engineInfo()` reports about the onnxruntime-web the backend runs on. */
export interface OnnxEngineInfo {
  /** onnxruntime-web's version. */
  readonly version: string;
  /** The execution provider the backend's sessions run on. */
  readonly executionProvider: ExecutionProvider;
  /** Threads of the wasm execution provider in this process. */
  readonly threads: number;
}

/**
 * The ONNX backend: each program becomes an ONNX model of standard operators (once per program
 * and compile options, through core's CompileCache), run by an onnxruntime-web InferenceSession.
 */
export class OnnxBackend implements Backend {
  readonly name = ONNX_BACKEND;
  readonly dtypes: readonly DType[] = ["float32", "float64"];
  private readonly provider: ExecutionProvider;
  /** Whether it was disposed, shared with its executables and tensors. */
  private readonly life = new BackendLife(ONNX_BACKEND);
  private readonly plans = new CompilePipeline<OnnxExecutable>(this.life);

  constructor(private readonly options: OnnxBackendOptions = {}) {
    this.provider = options.executionProvider ?? "wasm";
    checkProvider(this.provider);
  }

  private ort(): Promise<OrtModule> {
    return loadOrt(this.options.threads);
  }

  compile(program: Program, options: CompileOptions = {}): Promise<OnnxExecutable> {
    const life = this.life;
    return this.plans.compile(program, options, {
      checkDTypes: (p) => {
        if (this.provider === "webgpu") {
          // WebGPU has no double type: onnxruntime would move float64 nodes back to the CPU one by one.
          const f64 = p.nodes.find((n) => n.dtype === "float64");
          if (f64) throw new DTypeError("compile", `onnx backend on webgpu: %${f64.id} (${f64.op}) is float64, which WebGPU cannot compute`);
        }
        const node = unsupportedNode(p, this.dtypes);
        if (node) throw new DTypeError("compile", `onnx backend: %${node.id} (${node.op}) is ${node.dtype}`);
      },
      prepare: () => this.ort(),
      // The model is built from the program as written: buildOnnxModel runs its own passes.
      optimize: false,
      build: async (_program, ort) => {
        const model = buildOnnxModel(program, this.options.opset !== undefined ? { opset: this.options.opset } : {});
        const session = await ort.InferenceSession.create(model.bytes, { executionProviders: [this.provider], graphOptimizationLevel: optimizationLevel(program, this.provider) });
        const executable = bindSession(ort, program, model, session, options, life);
        // Disposed while the session was being made: that dispose() releases it too; fail rather
        // than hand out a dead executable.
        if (life.disposed) {
          await executable.release();
          throw afterDispose(ONNX_BACKEND, "compile");
        }
        return executable;
      },
    });
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
    this.life.checkUpload(tensor, DTYPES);
    const ort = await this.ort();
    this.life.check("upload");
    // A copy, so later writes to the caller's array do not reach the resident tensor.
    const data = tensor.dtype === "float32" ? Float32Array.from(tensor.data) : Float64Array.from(tensor.data);
    return OnnxTensor.wrap(new ort.Tensor(tensor.dtype, data, [...tensor.shape]), [...tensor.shape], tensor.dtype, this.life);
  }

  /**
   * Releases every session: final and idempotent. Afterwards compile, upload, runs of executables
   * compiled before and reads of its tensors all throw ("onnx: upload after dispose(): ..."), and
   * its tensors report disposed. Sessions of a backend dropped without dispose() are released
   * once collected (lifetime.ts).
   */
  dispose(): Promise<void> {
    return this.life.disposeWith(() => this.plans.releaseAll((executable) => executable.release()));
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
