import { type Backend, type CompileOptions, CompileCache, DTypeError, type DType, type DeviceTensor, type HostTensor, type Program, UnfoldError, optimize } from "@unfold/core";
import { type Tf, type TfjsEngine, activate, initEngine } from "./engine.js";
import { type TfjsExecutable, bindPlan } from "./executable.js";
import { type TfjsPlan, planProgram } from "./lower/plan.js";
import { TfjsTensor } from "./tensor.js";

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
  private disposed = false;

  constructor(private readonly options: TfjsBackendOptions = {}) {
    this.engine = options.engine ?? "cpu";
    this.name = `tfjs-${this.engine}`;
  }

  private tf(): Promise<Tf> {
    if (this.disposed) return Promise.reject(new UnfoldError(this.name, "the backend was disposed"));
    this.ready ??= initEngine(this.engine, this.options.wasmPaths);
    return this.ready;
  }

  async compile(program: Program, options: CompileOptions = {}): Promise<TfjsExecutable> {
    const f64 = program.nodes.find((n) => n.dtype !== "float32");
    if (f64) {
      throw new DTypeError("compile", `${this.name}: %${f64.id} (${f64.op}${f64.label ? ` '${f64.label}'` : ""}) is ${f64.dtype}; TensorFlow.js computes in float32 only`);
    }
    const tf = await this.tf();
    const plan = (): TfjsPlan => planProgram(optimize(program), { matmul: { perBatchElement: this.engine === "wasm" } });
    const build = async (): Promise<TfjsExecutable> => bindPlan(tf, this.engine, this.name, program, plan(), options);
    return this.plans.get(program, build, options.poison ? "poison" : "");
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    if (tensor.dtype !== "float32") throw new DTypeError("upload", `${this.name} holds float32 only, got ${tensor.dtype}`);
    const tf = await this.tf();
    activate(this.engine);
    // A copy: the cpu engine would otherwise keep the caller's array as its storage.
    return new TfjsTensor(this.name, tf.tensor(Float32Array.from(tensor.data), [...tensor.shape], "float32"), [...tensor.shape], this.engine === "cpu");
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const pending = this.plans.all();
    this.plans.clear();
    for (const plan of pending) (await plan.catch(() => undefined))?.release();
  }
}
