// The Unfold engines the fixed-point workloads run on, made as pnpm bench makes them, each with
// its own count of the memory a piece of work held at most where the backend keeps one. The
// solvers take a core Backend directly (they compile, upload and read per iteration), so these
// are backends with a measure, not the runner's program-per-step engines.
import type { Backend } from "@unfold/core";
import { ReferenceBackend } from "@unfold/core";
import type { WebGpuBackend } from "@unfold/backend-webgpu";
import { sharedGpu } from "../engines/dawn.js";
import { ORT_THREADS } from "../engines/ort.js";
import { loadTf } from "../engines/tfjs.js";
import { loadCpuBackend } from "../engines/unfold.js";

/** The engines, in report order. */
export const FIXED_POINT_ENGINES = ["unfold-reference", "unfold-cpu", "unfold-onnx", "unfold-tfjs", "unfold-webgpu"] as const;
/** One of FIXED_POINT_ENGINES. */
export type FixedPointEngine = (typeof FIXED_POINT_ENGINES)[number];

/** A fresh backend and how to measure the device memory one piece of work on it held at most. */
export interface MeasuredBackend {
  readonly backend: Backend;
  /** The dtype the engine computes in. */
  readonly dtype: "float32" | "float64";
  /**
   * Runs `work` and returns its result with the most bytes the backend's own pool held at once
   * during it, less what it held before: null for a backend that keeps no such count (the
   * reference interpreter's and onnxruntime-web's host tensors are in the JavaScript heap figure).
   */
  measure<T>(work: () => Promise<T>): Promise<{ value: T; poolBytes: number | null }>;
}

interface PeakCounter {
  reset(): void;
  live(): number;
  peak(): number;
}

async function withCounter<T>(counter: PeakCounter, work: () => Promise<T>): Promise<{ value: T; poolBytes: number }> {
  counter.reset();
  const before = counter.live();
  const value = await work();
  return { value, poolBytes: counter.peak() - before };
}

const unmeasured = async <T>(work: () => Promise<T>): Promise<{ value: T; poolBytes: null }> => ({ value: await work(), poolBytes: null });

interface CpuMemory {
  resetPeakMemory(): void;
  memoryInUse(): { live: number; peak: number };
}

/** Makes a fresh backend of the engine: one per measured point, so no point inherits another's cached executables. */
export async function makeBackend(engine: FixedPointEngine): Promise<MeasuredBackend> {
  switch (engine) {
    case "unfold-reference":
      return { backend: new ReferenceBackend(), dtype: "float64", measure: unmeasured };
    case "unfold-cpu": {
      const backend = (await loadCpuBackend()) as Backend & CpuMemory;
      const counter = { reset: () => backend.resetPeakMemory(), live: () => backend.memoryInUse().live, peak: () => backend.memoryInUse().peak };
      return { backend, dtype: "float32", measure: (work) => withCounter(counter, work) };
    }
    case "unfold-onnx": {
      const { OnnxBackend } = await import("@unfold/backend-onnx");
      return { backend: new OnnxBackend({ executionProvider: "wasm", threads: ORT_THREADS }), dtype: "float32", measure: unmeasured };
    }
    case "unfold-tfjs": {
      const tf = await loadTf();
      const { TfjsBackend } = await import("@unfold/backend-tfjs");
      const backend = new TfjsBackend({ engine: "wasm" });
      return {
        backend,
        dtype: "float32",
        // tf.profile records the most bytes TensorFlow.js's tensors held at once during the work.
        measure: async (work) => {
          const before = tf.engine().state.numBytes;
          let value: Awaited<ReturnType<typeof work>> | undefined;
          try {
            const info = await tf.profile(async () => {
              value = await work();
              return [];
            });
            return { value: value as Awaited<ReturnType<typeof work>>, poolBytes: info.peakBytes - before };
          } finally {
            // Left set when the work throws, it would profile every later kernel.
            tf.engine().state.profiling = false;
          }
        },
      };
    }
    case "unfold-webgpu": {
      const gpu = await sharedGpu();
      const { WebGpuBackend } = await import("@unfold/backend-webgpu");
      const backend: WebGpuBackend = await WebGpuBackend.create({ gpu: gpu as never });
      const counter = { reset: () => backend.resetPeakMemory(), live: () => backend.stats().pool.liveBytes, peak: () => backend.stats().pool.peakLiveBytes };
      return { backend, dtype: "float32", measure: (work) => withCounter(counter, work) };
    }
  }
}
