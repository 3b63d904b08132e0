import { type Backend, BackendLife, type CompileOptions, CompilePipeline, DTypeError, type DType, type DeviceTensor, type HostTensor, type Program, splitLongSums, type DisposedUse, unsupportedNode } from "@unfold/core";
import { type Tf, activate, initEngine, sumsSerially } from "./engine.js";
import type { TfjsEngine } from "./engines.js";
import { type TfjsExecutable, bindPlan } from "./executable.js";
import { planProgram } from "./lower/plan.js";
import { Holdings } from "./lifetime.js";
import { TfjsTensor } from "./tensor.js";

/** Options of `new TfjsBackend(options)`: the TensorFlow.js engine and where its wasm files are. */
export interface TfjsBackendOptions {
  /** The TensorFlow.js backend to run on (default "cpu"). "webgpu" needs navigator.gpu and @tensorflow/tfjs-backend-webgpu. */
  readonly engine?: TfjsEngine;
  /** Where the wasm engine's .wasm files are (a URL or path prefix); found automatically in Node. */
  readonly wasmPaths?: string;
}

/**
 * The TensorFlow.js backend: programs lowered to tfjs ops on one engine. TensorFlow.js is a
 * process-wide singleton with one active backend; every compile, upload and run switches it to
 * this backend's engine first, so backends on different engines can be used side by side.
 * Tensors of one engine are fed only to the backend that made them (their backend name differs).
 */
export class TfjsBackend implements Backend {
  readonly name: string;
  /** TensorFlow.js has no float64 on any engine. */
  readonly dtypes: readonly DType[] = ["float32"];
  readonly engine: TfjsEngine;
  /** Whether it was disposed, shared with its tensors and executables. */
  private readonly life: BackendLife;
  private readonly plans: CompilePipeline<TfjsExecutable>;
  private ready: Promise<Tf> | undefined;
  /** The tensors it handed out, freed by its dispose(). */
  private readonly holdings = new Holdings();

  constructor(private readonly options: TfjsBackendOptions = {}) {
    this.engine = options.engine ?? "cpu";
    this.name = `tfjs-${this.engine}`;
    this.life = new BackendLife(this.name);
    this.plans = new CompilePipeline(this.life);
  }

  /** TensorFlow.js with this backend's engine ready; `op` names the use, for the error after dispose(). */
  private tf(op: DisposedUse): Promise<Tf> {
    return this.life.awaitLive(op, () => (this.ready ??= initEngine(this.engine, this.options.wasmPaths)));
  }

  compile(program: Program, options: CompileOptions = {}): Promise<TfjsExecutable> {
    return this.plans.compile(program, options, {
      checkDTypes: (p) => {
        const f64 = unsupportedNode(p, this.dtypes);
        if (f64) {
          throw new DTypeError("compile", `${this.name}: %${f64.id} (${f64.op}${f64.label ? ` '${f64.label}'` : ""}) is ${f64.dtype}; TensorFlow.js computes in float32 only`);
        }
      },
      prepare: () => this.tf("compile"),
      optimize: true,
      build: async (optimized, tf) => {
        const plan = planProgram(sumsSerially(this.engine) ? splitLongSums(optimized) : optimized, { matmul: { perBatchElement: this.engine === "wasm" } });
        return bindPlan(tf, this.engine, this.life, program, plan, options, this.holdings);
      },
    });
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    this.life.checkUpload(tensor, this.dtypes);
    const tf = await this.tf("upload");
    activate(this.engine);
    // A copy: the cpu engine would otherwise keep the caller's array as its storage.
    return TfjsTensor.wrap(this.life, tf.tensor(Float32Array.from(tensor.data), [...tensor.shape], "float32"), [...tensor.shape], this.engine === "cpu", this.holdings);
  }

  /**
   * Frees its constants and every tensor it handed out that is still undisposed: final and
   * idempotent. Afterwards compile, upload, runs of executables compiled before and reads of its
   * tensors all throw ("tfjs-cpu: upload after dispose(): ..."), and its tensors report disposed.
   * TensorFlow.js itself (a process-wide singleton) stays loaded for other backends.
   */
  dispose(): Promise<void> {
    return this.life.disposeWith(async () => {
      this.holdings.dispose();
      await this.plans.releaseAll((executable) => executable.release());
    });
  }
}
