import type * as TF from "@tensorflow/tfjs";
import type { Array64 } from "../workloads/problem.js";

/** A float32 tensor holding the problem's values. */
export function tensorOf(tf: typeof TF, a: Array64): TF.Tensor {
  return tf.tensor(Float32Array.from(a.data), [...a.shape], "float32");
}

/** A tensor's values as float64, for the comparison with the reference. */
export async function float64(t: TF.Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}
