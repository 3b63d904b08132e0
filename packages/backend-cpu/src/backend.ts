import { type Backend, type CompileOptions, DTypeError, type DType, type DeviceTensor, type HostTensor, type Program, fingerprint, optimize } from "@unfold/core";
import { type CpuExecutable, bindPlan } from "./executable.js";
import { Arena } from "./memory.js";
import { lower } from "./plan/lower.js";
import { type MatmulEngine } from "./kernels/matmul.js";
import { type Gemm, createGemm } from "./gemm/index.js";
import { type SoftmaxKernel, createSoftmaxKernel } from "./kernels/softmax-wasm.js";
import { detectSimd } from "./gemm/kernels.js";
import { type WasmLoops, createWasmLoops } from "./plan/loops-wasm.js";
import { CPU_BACKEND, CpuTensor } from "./tensor.js";

export interface CpuBackendOptions {
  /** Initial size of the backend's memory; it grows on demand. */
  readonly initialBytes?: number;
  /** Threads for large matrix products, the caller's included; every core by default. */
  readonly threads?: number;
  /** Use the WebAssembly SIMD kernels where the engine supports them (default true). */
  readonly simd?: boolean;
  /** Replaces the matrix engine (testing, or another implementation). */
  readonly matmul?: (arena: Arena) => MatmulEngine;
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
  private gemm: Gemm | undefined;
  private softmax: Promise<SoftmaxKernel | undefined> | undefined;
  /** SIMD float32 loop kernels over the arena; none without SIMD (the JavaScript loops run). */
  private readonly loops: WasmLoops | undefined;
  private readonly plans = new Map<string, { program: Program; executable: Promise<CpuExecutable> }[]>();

  constructor(private readonly options: CpuBackendOptions = {}) {
    this.arena = new Arena({ initialBytes: options.initialBytes ?? 1 << 22 });
    this.loops = options.simd !== false && detectSimd().simd ? createWasmLoops(this.arena.memory) : undefined;
  }

  /** The matrix engine, made on first use (its WebAssembly module compiles asynchronously). */
  private matrixEngine(): Promise<MatmulEngine> {
    this.engine ??= this.options.matmul
      ? Promise.resolve(this.options.matmul(this.arena))
      : createGemm(this.arena.memory, {
          ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
          ...(this.options.simd !== undefined ? { simd: this.options.simd } : {}),
        }).then((gemm) => (this.gemm = gemm));
    return this.engine;
  }

  /** The float32 softmax kernel, made on first use; none without SIMD (the JavaScript loop runs). */
  private softmaxKernel(): Promise<SoftmaxKernel | undefined> {
    this.softmax ??= this.options.simd === false ? Promise.resolve(undefined) : createSoftmaxKernel(this.arena.memory);
    return this.softmax;
  }

  /** What the matrix engine turned out to be: SIMD or plain loops, and how many threads. */
  async engineInfo(): Promise<{ simd: boolean; threads: number }> {
    await this.matrixEngine();
    return this.gemm ? { simd: this.gemm.simd, threads: this.gemm.threads } : { simd: false, threads: 1 };
  }

  /** Bytes of memory the backend holds (it only grows when live data needs more). */
  get memoryBytes(): number {
    return this.arena.bytes;
  }

  async compile(program: Program, options: CompileOptions = {}): Promise<CpuExecutable> {
    for (const node of program.nodes) {
      if (!this.dtypes.includes(node.dtype)) throw new DTypeError("compile", `cpu backend does not support ${node.dtype}`);
    }
    const engine = await this.matrixEngine();
    const softmax = await this.softmaxKernel();
    const key = `${fingerprint(program)}|${options.poison ? "poison" : ""}`;
    const entries = this.plans.get(key) ?? [];
    // The fingerprint hashes constants; a hit must be the same program, not merely the same hash.
    const hit = entries.find((e) => e.program === program || samePrograms(e.program, program));
    if (hit) return hit.executable;
    // Core's passes first: dead code (autodiff leaves plenty), shared subexpressions, constants.
    const executable = (async () => bindPlan(program, lower(optimize(program), { matmul: engine, softmax, loops: this.loops }), this.arena, options))();
    const entry = { program, executable };
    entries.push(entry);
    this.plans.set(key, entries);
    // A failed compile (out of memory, say) is not cached: a retry must compile again, and
    // dispose() must not trip over the rejection.
    executable.catch(() => {
      const rest = (this.plans.get(key) ?? []).filter((e) => e !== entry);
      if (rest.length) this.plans.set(key, rest);
      else this.plans.delete(key);
    });
    return executable;
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    const elements = tensor.data.length;
    const t = new CpuTensor(this.arena, this.arena.alloc(elements * (tensor.dtype === "float32" ? 4 : 8)), tensor.shape, tensor.dtype, elements);
    this.arena.view(tensor.dtype).set(tensor.data, t.offset / (tensor.dtype === "float32" ? 4 : 8));
    return t;
  }

  async dispose(): Promise<void> {
    const pending = [...this.plans.values()].flat();
    this.plans.clear();
    // A compile still failing has nothing to release; one failure must not stop the rest.
    for (const e of pending) (await e.executable.catch(() => undefined))?.release();
    await this.gemm?.dispose();
    this.gemm = undefined;
    this.engine = undefined;
  }
}

function samePrograms(a: Program, b: Program): boolean {
  return JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}

/**
 * Constants compare exactly, as core's CompileCache does (Object.is): JSON alone would write 0
 * and -0 alike, and Infinity, -Infinity and NaN all as null, and the fingerprint can collide on
 * exactly such values ([Infinity, Infinity] and [-Infinity, -Infinity] hash alike).
 */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Float64Array ? Array.from(value, (v) => (Object.is(v, -0) ? "-0" : String(v))) : value;
}
