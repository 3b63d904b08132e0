import type * as TF from "@tensorflow/tfjs";
import type { Outputs } from "../workloads/problem.js";
import type { PreparedRun } from "./engine.js";

type Tf = typeof TF;

/**
 * The run with its check run profiled by tf.profile, which records the most bytes TensorFlow.js's
 * tensors held at once, whichever backend holds them. `bytesBefore` is tensorBytes() taken before
 * the run was prepared: the pool figure is the peak less that, so it counts this run's resident
 * inputs and its check's transients, not tensors other engines hold meanwhile. The wasm backend
 * keeps tensors in a WebAssembly memory that only grows, and the webgpu backend in GPU buffers,
 * so the JavaScript heap's growth says little about either.
 */
export function withTensorPeak(tf: Tf, run: PreparedRun, bytesBefore: number): PreparedRun {
  let peakBytes: number | undefined;
  return {
    ...run,
    check: async () => {
      let outputs: Outputs | undefined;
      try {
        const info = await tf.profile(async () => {
          outputs = await run.check();
          return [];
        });
        peakBytes = info.peakBytes;
      } finally {
        // tf.profile leaves its profiling flag set when the function throws; every later kernel
        // of every TensorFlow.js engine would then be profiled inside the timed runs.
        tf.engine().state.profiling = false;
      }
      if (!outputs) throw new Error("tf.profile did not run the check");
      return outputs;
    },
    poolBytes: () => (peakBytes === undefined ? Number.NaN : peakBytes - bytesBefore),
  };
}

/**
 * The bytes of every live tensor, on every backend: the engine's own count, which tf.profile's
 * peak is measured in. tf.memory() would ask the current backend too, and fails before one is
 * ready (unfold-tfjs picks its backend when it compiles, after this is read).
 */
export function tensorBytes(tf: Tf): number {
  return tf.engine().state.numBytes;
}
