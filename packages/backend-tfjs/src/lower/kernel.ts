import type * as TF from "@tensorflow/tfjs";
import type { Node } from "@unfold/core";
import type { Tf } from "../engine.js";

/** One node's computation in TensorFlow.js ops: from its arguments' tensors to its own. */
export type Kernel = (tf: Tf, args: readonly TF.Tensor[]) => TF.Tensor;

/** A kernel maker for one family of primitives; `node` carries the static attributes. */
export type KernelFor<N extends Node = Node> = (node: N, nodes: readonly Node[]) => Kernel;
