import { type Backend, type CompileOptions, CompileCache, DTypeError, checkUpload, type DType, type DeviceTensor, type HostTensor, type Program, optimize, splitLongSums, type DisposedUse, afterDispose } from "@unfold/core";
import { type Tf, activate, initEngine, sumsSerially } from "./engine.js";
import type { TfjsEngine } from "./engines.js";
import { type TfjsExecutable, bindPlan } from "./executable.js";
import { type TfjsPlan, planProgram } from "./lower/plan.js";
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
  private readonly plans = new CompileCache<TfjsExecutable>();
  private ready: Promise<Tf> | undefined;
  /** The tensors it handed out and whether it was disposed, shared with its tensors and executables. */
  private readonly holdings: Holdings;
  /** Set by the first dispose(), which every later call returns. */
  private disposing: Promise<void> | undefined;

  constructor(private readonly options: TfjsBackendOptions = {}) {
    this.engine = options.engine ?? "cpu";
    this.name = `tfjs-${this.engine}`;
    this.holdings = new Holdings(this.name);
  }

  /** Throws once dispose() was called: nothing of a disposed backend restarts. */
  private checkLive(op: DisposedUse): void {
    if (this.holdings.disposed) throw afterDispose(this.name, op);
  }

  /** TensorFlow.js with this backend's engine ready; `op` names the use, for the error after dispose(). */
  private async tf(op: DisposedUse): Promise<Tf> {
    this.checkLive(op);
    this.ready ??= initEngine(this.engine, this.options.wasmPaths);
    const tf = await this.ready;
    // dispose() may have run while the engine was initializing.
    this.checkLive(op);
    return tf;
  }

  async compile(program: Program, options: CompileOptions = {}): Promise<TfjsExecutable> {
    this.checkLive("compile");
    const f64 = program.nodes.find((n) => n.dtype !== "float32");
    if (f64) {
      throw new DTypeError("compile", `${this.name}: %${f64.id} (${f64.op}${f64.label ? ` '${f64.label}'` : ""}) is ${f64.dtype}; TensorFlow.js computes in float32 only`);
    }
    const tf = await this.tf("compile");
    const plan = (): TfjsPlan => {
      const optimized = optimize(program);
      return planProgram(sumsSerially(this.engine) ? splitLongSums(optimized) : optimized, { matmul: { perBatchElement: this.engine === "wasm" } });
    };
    const build = async (): Promise<TfjsExecutable> => bindPlan(tf, this.engine, this.name, program, plan(), options, this.holdings);
    return this.plans.get(program, build, options.poison ? "poison" : "");
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    this.checkLive("upload");
    checkUpload(tensor);
    if (tensor.dtype !== "float32") throw new DTypeError("upload", `${this.name} holds float32 only, got ${tensor.dtype}`);
    const tf = await this.tf("upload");
    activate(this.engine);
    // A copy: the cpu engine would otherwise keep the caller's array as its storage.
    return TfjsTensor.wrap(this.name, tf.tensor(Float32Array.from(tensor.data), [...tensor.shape], "float32"), [...tensor.shape], this.engine === "cpu", this.holdings);
  }

  /**
   * Frees its constants and every tensor it handed out that is still undisposed: final and
   * idempotent. Afterwards compile, upload, runs of executables compiled before and reads of its
   * tensors all throw ("tfjs-cpu: upload after dispose(): ..."), and its tensors report disposed.
   * TensorFlow.js itself (a process-wide singleton) stays loaded for other backends.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.release();
    return this.disposing;
  }

  private async release(): Promise<void> {
    const pending = this.plans.all();
    this.plans.clear();
    this.holdings.dispose();
    for (const plan of pending) (await plan.catch(() => undefined))?.release();
  }
}
