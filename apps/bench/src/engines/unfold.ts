import { type Backend, ReferenceBackend } from "@unfold/core";
import { backendEngine, peakOverBefore } from "./backend-adapter.js";
import { type Engine, EngineUnavailable, type PreparedRun, messageOf } from "./engine.js";

/**
 * The float64 reference interpreter through the generic adapter. Slow, so it runs once: its check
 * run (which reads every output back, a copy of host arrays here) is its one timed run.
 */
export function referenceEngine(): Engine {
  return backendEngine("unfold-reference", () => new ReferenceBackend(), { dtype: "float64", cap: { repeats: 1, warmup: 0, timeCheck: true } });
}

export const CPU_BACKEND_PACKAGE = "@unfold/backend-cpu";

/** Imports a module by name; a parameter so tests can stand in for a package that is not there. */
export type ModuleImporter = (specifier: string) => Promise<Record<string, unknown>>;

// A variable specifier: the package may not exist yet, and the compiler must not insist on it.
const importModule: ModuleImporter = (specifier) => import(specifier) as Promise<Record<string, unknown>>;

/**
 * Loads `new CpuBackend()` from @unfold/backend-cpu by dynamic import. A missing package, a
 * missing class, or something that is not a core Backend is an EngineUnavailable with the reason.
 */
export async function loadCpuBackend(importer: ModuleImporter = importModule): Promise<Backend> {
  let mod: Record<string, unknown>;
  try {
    mod = await importer(CPU_BACKEND_PACKAGE);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === "ERR_MODULE_NOT_FOUND" || /Cannot find (module|package)|Failed to (load|resolve)/i.test(messageOf(error));
    throw new EngineUnavailable(
      missing
        ? `${CPU_BACKEND_PACKAGE} is not installed (pnpm add -F @unfold/bench ${CPU_BACKEND_PACKAGE}@workspace:^)`
        : `${CPU_BACKEND_PACKAGE} failed to load: ${messageOf(error)}`,
    );
  }
  const Ctor = mod["CpuBackend"];
  if (typeof Ctor !== "function") throw new EngineUnavailable(`${CPU_BACKEND_PACKAGE} exports no class CpuBackend`);
  let backend: unknown;
  try {
    backend = new (Ctor as new () => unknown)();
  } catch (error) {
    throw new EngineUnavailable(`new CpuBackend() failed: ${messageOf(error)}`);
  }
  const b = backend as Partial<Backend>;
  if (typeof b.compile !== "function" || typeof b.upload !== "function" || typeof b.dispose !== "function" || !Array.isArray(b.dtypes)) {
    throw new EngineUnavailable(`${CPU_BACKEND_PACKAGE}'s CpuBackend does not implement the core Backend interface`);
  }
  return backend as Backend;
}

/**
 * The CPU backend for work that must run on some backend (the Hessian products of hessian-block,
 * the fidelity checks), or, where @unfold/backend-cpu cannot load, the reference interpreter
 * (the same results, much slower), saying so through `onFallback`.
 */
export async function loadCpuOrReference(load: () => Promise<Backend> = () => loadCpuBackend(), onFallback: (reason: string) => void = () => {}): Promise<Backend> {
  try {
    return await load();
  } catch (error) {
    onFallback(`CPU backend unavailable (${messageOf(error)}); using the reference interpreter, which is much slower`);
    return new ReferenceBackend();
  }
}

/** @unfold/backend-cpu's CpuBackend through the generic adapter, in float32. */
export function cpuEngine(load: () => Promise<Backend> = () => loadCpuBackend()): Engine {
  return backendEngine("unfold-cpu", load, { detail: cpuEngineDetail, watch: cpuMemory });
}

interface CpuMemory {
  resetPeakMemory(): void;
  memoryInUse(): { live: number; peak: number };
}

const hasCpuMemory = (b: Backend): b is Backend & CpuMemory =>
  typeof (b as Partial<CpuMemory>).resetPeakMemory === "function" && typeof (b as Partial<CpuMemory>).memoryInUse === "function";

/**
 * The CPU backend's tensors and plan buffers live in a shared WebAssembly memory, which V8 does
 * not count in its heap figures: the backend's own count of bytes in use is the row's pool
 * figure, its peak during prepare and check less what was in use before.
 */
async function cpuMemory(b: Backend): Promise<(run: PreparedRun) => PreparedRun> {
  if (!hasCpuMemory(b)) return (run) => run;
  return peakOverBefore({ reset: () => b.resetPeakMemory(), live: () => b.memoryInUse().live, peak: () => b.memoryInUse().peak });
}

interface CpuEngineInfo {
  simd: boolean;
  relaxed?: boolean;
  threads: number;
}

/** The matrix engine the CPU backend picked: which kernels, how many threads. */
async function cpuEngineDetail(backend: Backend): Promise<string | undefined> {
  const info = (backend as Backend & { engineInfo?: () => Promise<CpuEngineInfo> }).engineInfo;
  if (typeof info !== "function") return undefined;
  const { simd, relaxed, threads } = await info.call(backend);
  const kernels = simd ? `WebAssembly SIMD GEMM${relaxed ? " with relaxed-SIMD fused multiply-add" : " (multiply + add; relaxed SIMD off)"}` : "plain TypeScript GEMM";
  return `${kernels}, ${threads} thread${threads === 1 ? "" : "s"}`;
}
