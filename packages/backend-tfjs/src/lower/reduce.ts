import type { Node } from "@unfold/core";
import type { Kernel } from "./kernel.js";

/** Reductions keep the reduced axes, as keepDims does; no axes at all is the identity. */
export function reductionKernel(node: Node & { op: "sum" | "reduceMax" }): Kernel {
  const axes = [...node.axes];
  if (axes.length === 0) return (_tf, [x]) => x!;
  return node.op === "sum" ? (tf, [x]) => tf.sum(x!, axes, true) : (tf, [x]) => tf.max(x!, axes, true);
}
