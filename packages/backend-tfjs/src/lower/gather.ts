import type { Node } from "@unfold/core";
import type { Kernel } from "./kernel.js";

/** Unfold carries indices as floats holding integers; TensorFlow.js wants int32. */
export function gatherKernel(node: Node & { op: "gather" }): Kernel {
  return (tf, [x, idx]) => tf.gather(x!, tf.cast(idx!, "int32"), node.axis);
}

/**
 * scatterAdd(u, idx, axis, size) with u [pre, I, post]: tf.scatterND (which sums repeated
 * indices) into [size, pre, post], after moving the index axes of u to the front; then the
 * result's leading axis goes back to position `axis`.
 */
export function scatterAddKernel(node: Node & { op: "scatterAdd" }, nodes: readonly Node[]): Kernel {
  const axis = node.axis;
  const uRank = nodes[node.inputs[0]!]!.shape.length;
  const indexShape = nodes[node.inputs[1]!]!.shape;
  const indexRank = indexShape.length;
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
  const toFront = [...range(axis, indexRank), ...range(0, axis), ...range(axis + indexRank, uRank - axis - indexRank)];
  const out = node.shape;
  const frontShape = [out[axis]!, ...out.slice(0, axis), ...out.slice(axis + 1)];
  const back = [...range(1, axis), 0, ...range(axis + 1, out.length - axis - 1)];
  return (tf, [u, idx]) => {
    let moved = axis > 0 ? tf.transpose(u!, toFront) : u!;
    // A scalar index gets a unit index axis: tf.scatterND rejects rank-0 updates.
    if (indexRank === 0) moved = tf.expandDims(moved, 0);
    const indices = tf.reshape(tf.cast(idx!, "int32"), [...(indexRank === 0 ? [1] : indexShape), 1]);
    const scattered = tf.scatterND(indices, moved, frontShape);
    return axis > 0 ? tf.transpose(scattered, back) : scattered;
  };
}
