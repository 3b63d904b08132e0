import { type Backend, BackendLife, type CompileOptions, CompilePipeline, DTypeError, type DType, type DeviceTensor, type HostTensor, type Program, type DisposedUse, UnfoldError, unsupportedNode } from "@unfold/core";
import { type CpuExecutable, bindPlan } from "./executable.js";
import { Arena } from "./memory.js";
import { lower } from "./plan/lower.js";
import type { MatmulEngine } from "./steps/matrix-engine.js";
import { type CpuEngine, createEngine } from "./engine.js";
import { type SoftmaxKernel, createSoftmaxKernel } from "./kernels/softmax/softmax-wasm.js";
import { detectSimd } from "./wasm/simd-support.js";
import { type WasmLoops, createWasmLoops } from "./kernels/loops/loops-wasm.js";
import { type ItemLoops, type ParallelLoops, createItemLoops, createParallelLoops } from "./kernels/loops/loops-parallel.js";
import { CPU_BACKEND, CpuTensor } from "./tensor.js";
import { threadsUnavailable } from "./threads/environment.js";

/** Options of `new CpuBackend(options)`: threads, memory, SIMD and the tuning knobs tests use. */
export interface CpuBackendOptions {
  /** Initial size of the backend's memory; it grows on demand. */
  readonly initialBytes?: number;
  /**
   * Threads for large matrix products and loops, the caller's included: a positive integer.
   * Every core by default; in a page, navigator.hardwareConcurrency where the page is
   * cross-origin isolated (its worker threads are Web Workers), else 1. More than 1 where the
   * page is not cross-origin isolated is an error naming the headers it needs.
   */
  readonly threads?: number;
  /** Use the WebAssembly SIMD kernels where the engine supports them (default true). */
  readonly simd?: boolean;
  /**
   * Products of fewer multiply-adds stay on the calling thread, and item rounds worth less are
   * not formed; adaptive by default (threads/threads.ts). 0 threads everything (tests use it).
   */
  readonly parallelThreshold?: number;
  /** Replaces the matrix engine (testing, or another implementation). */
  readonly matmul?: (arena: Arena) => MatmulEngine;
  /**
   * Run chains of batched steps as item rounds, each thread taking one batch item through all
   * of them (plan/segments.ts), where there are worker threads (default true).
   */
  readonly itemRounds?: boolean;
}

/**
 * The CPU backend. A program compiles once (per program and options) into a plan over one
 * WebAssembly memory: views instead of copies for layout ops, fused elementwise loops, fused row
 * softmax, buffers reused by liveness, and a matrix engine for matmul.
 */
export class CpuBackend implements Backend {
  readonly name = CPU_BACKEND;
  readonly dtypes: readonly DType[] = ["float32", "float64"];
  readonly arena: Arena;
  private engine: Promise<MatmulEngine> | undefined;
  private gemm: CpuEngine | undefined;
  private softmax: Promise<SoftmaxKernel | undefined> | undefined;
  /** SIMD float32 loop kernels over the arena; none without SIMD (the JavaScript loops run). */
  private readonly loops: WasmLoops | undefined;
  /** Whether it was disposed, shared with its executables. */
  private readonly life = new BackendLife(CPU_BACKEND);
  private readonly plans = new CompilePipeline<CpuExecutable>(this.life);
  /** Large SIMD loops shared with the GEMM's worker threads, once it has them. */
  private parallelLoops: ParallelLoops | undefined;
  /** Loops over one batch item, shared with those threads for item rounds. */
  private itemLoops: ItemLoops | undefined;

  constructor(private readonly options: CpuBackendOptions = {}) {
    checkThreads(options.threads);
    this.arena = new Arena({ initialBytes: options.initialBytes ?? 1 << 22 });
    this.loops = options.simd !== false && detectSimd().simd ? createWasmLoops(this.arena.memory) : undefined;
  }

  /**
   * The matrix engine, made on first use (its WebAssembly module compiles asynchronously). Never
   * after dispose(): its worker threads would outlive the backend.
   */
  private async matrixEngine(op: DisposedUse = "compile"): Promise<MatmulEngine> {
    this.life.check(op);
    this.engine ??= this.options.matmul
      ? Promise.resolve(this.options.matmul(this.arena))
      : createEngine(this.arena.memory, {
          ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
          ...(this.options.simd !== undefined ? { simd: this.options.simd } : {}),
          ...(this.options.parallelThreshold !== undefined ? { parallelThreshold: this.options.parallelThreshold } : {}),
        }).then((gemm) => (this.gemm = gemm));
    return this.engine;
  }

  /**
   * The float32 softmax kernel, made on first use: the GEMM module's copy where the matrix engine
   * is the SIMD GEMM (its worker threads then share large softmaxes), else a module of its own;
   * none without SIMD (the JavaScript loop runs).
   */
  private async softmaxKernel(): Promise<SoftmaxKernel | undefined> {
    await this.matrixEngine();
    const gemm = this.gemm;
    if (gemm?.simd) {
      return {
        rows32: (x, out, rows, cols) => gemm.softmaxRows(x, -1, out, rows, cols, Math.max(rows, 1)),
        rows32Bias: (x, bias, out, rows, cols, period) => gemm.softmaxRows(x, bias, out, rows, cols, period),
      };
    }
    this.softmax ??= this.options.simd === false ? Promise.resolve(undefined) : createSoftmaxKernel(this.arena.memory);
    return this.softmax;
  }

  /** What the matrix engine turned out to be: SIMD (with relaxed fused multiply-add or not) or plain loops, and how many threads. */
  async engineInfo(): Promise<{ simd: boolean; relaxed: boolean; threads: number }> {
    await this.matrixEngine("engineInfo");
    return this.gemm ? { simd: this.gemm.simd, relaxed: this.gemm.relaxed, threads: this.gemm.threads } : { simd: false, relaxed: false, threads: 1 };
  }

  /**
   * Chunks of threaded rounds (products, softmax rows, loops, item rounds) run so far, and how
   * many of them the worker threads ran rather than the calling thread; zeros without workers.
   */
  threadActivity(): { readonly chunks: number; readonly onWorkers: number } {
    return this.gemm?.parts.threads.chunkCounts ?? { chunks: 0, onWorkers: 0 };
  }

  /** Bytes of memory the backend holds (it only grows when live data needs more). */
  get memoryBytes(): number {
    return this.arena.bytes;
  }

  /**
   * Bytes in use inside that memory: `live` now (tensors, executables' plan buffers) and `peak`,
   * the most live at once since the backend was made or since the last resetPeakMemory().
   */
  memoryInUse(): { live: number; peak: number } {
    return { live: this.arena.liveBytes, peak: this.arena.peakLiveBytes };
  }

  /** Starts a new peak from what is live now, to measure the memory of one piece of work. */
  resetPeakMemory(): void {
    this.arena.resetPeak();
  }

  compile(program: Program, options: CompileOptions = {}): Promise<CpuExecutable> {
    return this.plans.compile(program, options, {
      checkDTypes: (p) => {
        const node = unsupportedNode(p, this.dtypes);
        if (node) throw new DTypeError("compile", `cpu backend does not support ${node.dtype} (%${node.id}, ${node.op}${node.label ? ` '${node.label}'` : ""})`);
      },
      prepare: () => this.kernels(),
      // Core's passes first: dead code (autodiff leaves plenty), shared subexpressions, constants.
      optimize: true,
      build: async (optimized, kernels) => bindPlan(program, lower(optimized, { ...kernels, loops: this.loops }), this.arena, options, this.life, kernels.matmul),
    });
  }

  /** The kernels a plan is lowered onto, made on first use: the engine, the softmax, the threaded loops. */
  private async kernels(): Promise<{ matmul: MatmulEngine; softmax: SoftmaxKernel | undefined; parallelLoops: ParallelLoops | undefined; itemLoops: ItemLoops | undefined }> {
    const matmul = await this.matrixEngine();
    const softmax = await this.softmaxKernel();
    // dispose() may have run while the engine was being made.
    this.life.check("compile");
    const gemm = this.gemm;
    if (this.loops && gemm && gemm.threads > 1) {
      this.parallelLoops ??= createParallelLoops(this.arena.memory, gemm);
      if (this.options.itemRounds !== false) this.itemLoops ??= createItemLoops(this.arena.memory, gemm);
    }
    return { matmul, softmax, parallelLoops: this.parallelLoops, itemLoops: this.itemLoops };
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    this.life.checkUpload(tensor, this.dtypes);
    const elements = tensor.data.length;
    const t = new CpuTensor(this.arena, this.arena.alloc(elements * (tensor.dtype === "float32" ? 4 : 8)), tensor.shape, tensor.dtype, elements);
    this.arena.view(tensor.dtype).set(tensor.data, t.offset / (tensor.dtype === "float32" ? 4 : 8));
    return t;
  }

  /**
   * Releases the worker threads and every executable and tensor: final and idempotent. Afterwards
   * compile, upload, runs of executables compiled before and reads of its tensors all throw
   * ("cpu: upload after dispose(): ..."), and its tensors report disposed. A backend dropped
   * without dispose() has its threads stopped once it is garbage collected (threads/pool.ts).
   */
  dispose(): Promise<void> {
    return this.life.disposeWith(() => this.release());
  }

  private async release(): Promise<void> {
    // Closed first: what the plans and tensors held is dead, not handed out again.
    this.arena.close();
    // A compile still failing has nothing to release; one failure must not stop the rest.
    await this.plans.releaseAll((plan) => plan.release());
    // An engine still being made is waited for, so that its worker threads stop too.
    await this.engine?.catch(() => undefined);
    await this.gemm?.dispose();
    this.gemm = undefined;
    this.parallelLoops = undefined;
    this.itemLoops = undefined;
    this.engine = undefined;
  }
}

/**
 * Checks the `threads` option where the backend is made: a positive integer, and more than 1 only
 * where worker threads can share the memory (never quietly fewer than asked for).
 */
function checkThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  if (!Number.isInteger(threads) || threads < 1) throw new UnfoldError("cpu backend", `threads must be a positive integer, got ${threads}`);
  const reason = threads > 1 ? threadsUnavailable() : undefined;
  if (reason !== undefined) {
    throw new UnfoldError("cpu backend", `threads: ${threads} needs worker threads that share the backend's memory, but ${reason} (or ask for threads: 1, or leave threads out for as many as this page allows)`);
  }
}
