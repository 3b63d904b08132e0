import type * as TF from "@tensorflow/tfjs";
import type { Tf } from "../engine.js";

/** One node's computation in TensorFlow.js ops: from its arguments' tensors to its own. */
export type Kernel = (tf: Tf, args: readonly TF.Tensor[]) => TF.Tensor;
