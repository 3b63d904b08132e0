import type * as TF from "@tensorflow/tfjs";
import type { Outputs } from "../workloads/problem.js";
import type { PreparedRun } from "./engine.js";

type Tf = typeof TF;

/**
 * The run with its check run profiled by tf.profile, which records the most bytes TensorFlow.js's
 * tensors held at once (resident inputs included, whichever backend holds them): the run's pool
 * figure. The wasm backend keeps tensors in a WebAssembly memory that only grows, and the webgpu
 * backend in GPU buffers, so the JavaScript heap's growth says little about either.
 */
export function withTensorPeak(tf: Tf, run: PreparedRun): PreparedRun {
  let peakBytes: number | undefined;
  return {
    ...run,
    check: async () => {
      let outputs: Outputs | undefined;
      const info = await tf.profile(async () => {
        outputs = await run.check();
        return [];
      });
      peakBytes = info.peakBytes;
      if (!outputs) throw new Error("tf.profile did not run the check");
      return outputs;
    },
    poolBytes: () => peakBytes ?? Number.NaN,
  };
}
