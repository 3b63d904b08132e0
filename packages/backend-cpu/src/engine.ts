/**
 * The CPU backend's compute engine, put together from its parts: the shared kernel module
 * (kernel-module.ts), the threads that run every kind of work (threads/), and the kernels that
 * use them: the GEMM (kernels/gemm), the softmax rows (kernels/softmax) and the Gram softmax
 * (kernels/gram-softmax). The backend owns one and disposes it; the plan sees it as its
 * MatmulEngine (steps/matrix-engine.ts) and the loops as their KernelThreads.
 */
import { DEFAULT_SHAPES, type GemmKernels, wasmGemm } from "./wasm/gemm-driver.js";
import { kernelTables } from "./wasm/shared-module.js";
import { detectSimd } from "./wasm/simd-support.js";
import { availableThreads } from "./threads/environment.js";
import { Threads } from "./threads/threads.js";
import type { MatmulEngine } from "./steps/matrix-engine.js";
import { GemmEngine } from "./kernels/gemm/engine.js";
import { GEMM_RUNNERS } from "./kernels/gemm/parallel.js";
import { plainGemm } from "./kernels/gemm/plain.js";
import { SOFTMAX_RUNNER, softmaxRows } from "./kernels/softmax/rows-round.js";
import { GramSoftmaxEngine } from "./kernels/gram-softmax/engine.js";
import { GRAM_RUNNER } from "./kernels/gram-softmax/rounds.js";
import type { KernelThreads } from "./kernels/loops/loops-parallel.js";
import { buildKernelModule } from "./kernel-module.js";

export type { BatchStrides, GemmCall, GramSoftmaxCall } from "./steps/calls.js";
export type { GemmDType } from "./wasm/codegen.js";

/** Every kind of work the threads run, the item and kernel rounds apart (threads/ adds those). */
const RUNNERS = [...GEMM_RUNNERS, SOFTMAX_RUNNER, GRAM_RUNNER];

export interface EngineOptions {
  /**
   * Threads including the caller's; default: every available core (in a page, its
   * navigator.hardwareConcurrency where it is cross-origin isolated, else 1). Needs a shared memory.
   */
  threads?: number;
  /** Use the WebAssembly SIMD kernels when the engine has them (default true). */
  simd?: boolean;
  /**
   * Calls with fewer multiply-adds (m*n*k) run on the calling thread alone. Default: adaptive,
   * from 128^3 (64^3 on the plain path) up to 512^3 while the workers fail to get a core
   * (threads/threads.ts). A given value is fixed (0 threads every call, which tests use).
   */
  parallelThreshold?: number;
}

/** The engine: the plan's matrix engine, the loops' threads, and the threaded softmax rows. */
export interface CpuEngine extends Required<Omit<MatmulEngine, "minThreadedWork" | "threads">>, KernelThreads {
  readonly memory: WebAssembly.Memory;
  /** Threads a large call runs on (1 unless the memory is shared and threads were asked for). */
  readonly threads: number;
  /** Whether the WebAssembly SIMD kernels are in use (else the plain TypeScript path). */
  readonly simd: boolean;
  /** Whether those kernels use relaxed SIMD's fused multiply-add (see node.ts). */
  readonly relaxed: boolean;
  /** Products (a batch's in total) below this many multiply-adds never use the workers (Infinity without any). */
  readonly minThreadedWork: number;
  /** The parts, for those that need one alone. */
  readonly parts: { readonly threads: Threads; readonly gemm: GemmEngine; readonly gram: GramSoftmaxEngine };
  /**
   * Float32 row softmax (of x less a row-vector bias when `bias` >= 0; see SoftmaxKernel) on the
   * SIMD kernels, shared with the worker threads when the rows are many. Byte offsets. Only
   * where `simd` is true.
   */
  softmaxRows(x: number, bias: number, out: number, rows: number, cols: number, period: number): void;
  /** Stops the worker threads; nothing runs afterwards. */
  dispose(): Promise<void>;
}

/** Compiles the shared kernel module (where SIMD is there), starts the threads, and puts the kernels on them. */
export async function createEngine(memory: WebAssembly.Memory, options: EngineOptions = {}): Promise<CpuEngine> {
  const detected = detectSimd();
  const simd = (options.simd ?? true) && detected.simd;
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const wanted = Math.max(1, Math.floor(options.threads ?? (await availableThreads())));

  let module: WebAssembly.Module | undefined;
  let kernels: GemmKernels[] | undefined;
  if (simd) {
    module = await WebAssembly.compile(buildKernelModule({ shared, relaxed: detected.relaxed, shapes: DEFAULT_SHAPES }));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    kernels = kernelTables(instance.exports as Record<string, never>);
  }
  const threads = await Threads.create({
    memory,
    threads: wanted,
    module,
    kernels: kernels ?? [],
    runners: RUNNERS,
    single: wasmGemm,
    plain: plainGemm,
    ...(options.parallelThreshold !== undefined ? { parallelThreshold: options.parallelThreshold } : {}),
  });
  return engineOf(memory, simd, simd && detected.relaxed, kernels, threads);
}

function engineOf(memory: WebAssembly.Memory, simd: boolean, relaxed: boolean, kernels: GemmKernels[] | undefined, threads: Threads): CpuEngine {
  const gemm = new GemmEngine(memory, kernels, threads);
  const gram = new GramSoftmaxEngine(memory, kernels?.[0], threads);
  let disposed = false;
  return {
    memory,
    threads: threads.count,
    simd,
    relaxed,
    get minThreadedWork() {
      return threads.minThreadedWork;
    },
    parts: { threads, gemm, gram },
    scratchBytes: (call) => gemm.scratchBytes(call),
    run: (call, scratch) => gemm.run(call, scratch),
    batchScratchBytes: (call, count) => gemm.batchScratchBytes(call, count),
    runBatch: (call, count, strides, scratch) => gemm.runBatch(call, count, strides, scratch),
    batchItemBlock: (call, items, strides) => gemm.batchItemBlock(call, items, strides),
    gramSoftmaxSupported: (n, k, items) => gram.supported(n, k, items),
    gramSoftmaxScratchBytes: (n, k, items, dv) => gram.scratchBytes(n, k, items, dv),
    gramSoftmax: (call, scratch) => gram.run(call, scratch),
    gramItemBlock: (call) => gram.itemBlock(call),
    softmaxRows: (x, bias, out, rows, cols, period) => {
      if (disposed) throw new Error("gemm: run after dispose");
      if (!kernels) throw new Error("gemm: softmaxRows needs the WebAssembly SIMD kernels");
      softmaxRows(threads, kernels[0]!, x, bias, out, rows, cols, period);
    },
    hold: () => threads.hold(),
    release: () => threads.release(),
    shareKernel: (m) => threads.shareKernel(m),
    runKernelRound: (params, work) => threads.runKernelRound(params, work),
    runItems: (blocks, count, perThread, items, kernelOf) => threads.runItems(blocks, count, perThread, items, kernelOf),
    dispose: async () => {
      disposed = true;
      gemm.dispose();
      gram.dispose();
      await threads.dispose();
    },
  };
}
