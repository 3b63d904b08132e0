import { type Backend, BackendLife, CompilePipeline, type DisposedUse, type CompileOptions, DTypeError, checkUpload, FeedError, type DType, type DeviceTensor, type HostTensor, type Program, formatShape, sizeOf, unsupportedNode } from "@unfold/core";
import { GpuContext, disposedError } from "./context.js";
import { type WebGpuBackendOptions, openDevice, targetOf } from "./device.js";
import { tensorTooLarge } from "./errors.js";
import { type WebGpuExecutable, bindPlan } from "./executable.js";
import type { PipelineStats } from "./pipelines.js";
import { lower } from "./plan/lower.js";
import type { PoolStats } from "./pool.js";
import { readBack } from "./readback.js";
import { WEBGPU_BACKEND, WebGpuTensor } from "./tensor.js";

/** What the backend holds on the device, for tests and for watching a long loop. */
export interface WebGpuStats {
  readonly pool: PoolStats;
  readonly pipelines: PipelineStats;
  /** Compiled executables held (one per program and options). */
  readonly executables: number;
  /** Command buffers submitted so far: one per run, one per read (of one tensor or of many). */
  readonly submits: number;
  /**
   * Staging buffers mapped so far: the round trips to the device that reads cost. One per read,
   * `readMany` included, however many tensors it reads.
   */
  readonly readbacks: number;
}

/**
 * The WebGPU backend: programs compile to WGSL kernels (fused elementwise chains, tiled
 * matmuls with transposes folded in, one-pass row reductions, fused softmax and logsumexp)
 * and run with one command buffer per run. Float32 only. Runs on the device it is given, or
 * on one it finds: navigator.gpu in a browser, Dawn (the `webgpu` package) in Node.
 */
export class WebGpuBackend implements Backend {
  readonly name = WEBGPU_BACKEND;
  readonly dtypes: readonly DType[] = ["float32"];
  private readonly ready: Promise<GpuContext>;
  private context: GpuContext | undefined;
  /** Whether it was disposed, shared with its executables and tensors. */
  private readonly life = new BackendLife(WEBGPU_BACKEND);
  private readonly plans = new CompilePipeline<WebGpuExecutable>(this.life);

  /** Starts finding a device at once; the first compile or upload waits for it. */
  constructor(options: WebGpuBackendOptions = {}) {
    this.ready = openDevice(options).then((state) => (this.context = new GpuContext(state, targetOf(state.device, options.target))));
    // Failure surfaces on first use (or from create); do not also report it as unhandled.
    this.ready.catch(() => undefined);
  }

  /** A backend whose device is ready: rejects (no adapter, ...) here rather than on first use. */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const backend = new WebGpuBackend(options);
    await backend.ready;
    return backend;
  }

  private async use(op: DisposedUse): Promise<GpuContext> {
    const context = await this.life.awaitLive(op, () => this.ready);
    context.check(op);
    return context;
  }

  /** The device the backend runs on (after create, or once the first compile resolved). */
  get device(): GPUDevice | undefined {
    return this.context?.device;
  }

  compile(program: Program, options: CompileOptions = {}): Promise<WebGpuExecutable> {
    const life = this.life;
    return this.plans.compile(program, options, {
      checkDTypes: (p) => {
        const node = unsupportedNode(p, this.dtypes);
        if (node) {
          throw new DTypeError(
            "compile",
            `unsupported dtype ${node.dtype} at ${node.op} %${node.id}${node.label ? ` '${node.label}'` : ""} ${formatShape(node.shape)}: the webgpu backend computes in float32 only`,
          );
        }
      },
      prepare: () => this.use("compile"),
      optimize: true,
      build: async (optimized, context) => {
        try {
          const plan = lower(optimized, { maxBindings: context.maxBindings, maxBindingBytes: context.maxBindingBytes });
          const executable = await bindPlan(program, plan, context, options, life);
          if (context.disposed) {
            executable.release();
            throw disposedError("compile");
          }
          return executable;
        } catch (error) {
          // A compile overtaken by dispose() fails for that reason, whatever the destroyed device said.
          throw context.disposed ? disposedError("compile") : error;
        }
      },
    });
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    // Liveness first, as on every backend: after dispose() every upload gets the dispose error.
    this.life.check("upload");
    checkUpload(tensor);
    if (tensor.dtype !== "float32") throw new DTypeError("upload", `unsupported dtype ${tensor.dtype}: the webgpu backend holds float32 only`);
    const context = await this.use("upload");
    const elements = sizeOf(tensor.shape);
    if (elements * 4 > context.maxBindingBytes) throw tensorTooLarge("upload", `tensor ${formatShape(tensor.shape)}`, elements * 4, context.maxBindingBytes);
    if (tensor.data.length !== elements) throw new FeedError("upload", `${tensor.data.length} values do not fill shape ${formatShape(tensor.shape)}`);
    const buffer = context.pool.acquire(elements * 4);
    // writeBuffer copies at once, so the caller may overwrite its array as soon as this returns.
    const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data);
    if (elements > 0) context.device.queue.writeBuffer(buffer.buffer, 0, data);
    return new WebGpuTensor(this.life, context, buffer, [...tensor.shape], elements);
  }

  /**
   * Reads several of this backend's tensors in one transfer: one command buffer copies them all
   * into one staging buffer, mapped once (Backend.readMany; core's readTensors calls it).
   */
  async readMany(tensors: readonly DeviceTensor[]): Promise<HostTensor[]> {
    const context = await this.use("read");
    const sources = tensors.map((t, i) => {
      if (!(t instanceof WebGpuTensor) || t.context !== context) throw new FeedError("read", `tensor ${i} lives on another WebGPU backend instance`);
      return { buffer: t.buffer, elements: t.elements, shape: t.shape };
    });
    return readBack(context, sources);
  }

  /** Pool, pipeline and executable counts, submits and readbacks; zeros before the device is ready. */
  stats(): WebGpuStats {
    const pool = this.context?.pool.stats() ?? { liveBytes: 0, liveBuffers: 0, peakLiveBytes: 0, pooledBytes: 0, pooledBuffers: 0, createdBuffers: 0 };
    const pipelines = this.context?.pipelines.stats() ?? { compiled: 0, hits: 0 };
    const counts = this.context?.counts ?? { submits: 0, readbacks: 0 };
    return { pool, pipelines, executables: this.plans.cache.size, submits: counts.submits, readbacks: counts.readbacks };
  }

  /** Starts the pool's peak (stats().pool.peakLiveBytes) anew from what is on loan now. */
  resetPeakMemory(): void {
    this.context?.pool.resetPeak();
  }

  async dispose(): Promise<void> {
    if (this.life.disposed) return;
    this.life.dispose();
    // At once, so that executables, tensors and compiles in flight fail naming the dispose.
    if (this.context) this.context.disposed = true;
    await this.plans.releaseAll((executable) => executable.release());
    const context = await this.ready.catch(() => undefined);
    if (!context) return;
    context.disposed = true;
    context.pipelines.clear();
    context.pool.destroy();
    // Destroys a device the backend created (Dawn keeps Node alive otherwise); one passed in stays.
    context.state.destroy();
    this.context = undefined;
  }
}
