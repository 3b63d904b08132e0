import type * as TF from "@tensorflow/tfjs";
import { type Node, sizeOf } from "@unfold/core";
import type { Kernel } from "./kernel.js";

export interface MatmulLowering {
  /**
   * Run a product with a real batch as one 2-D product per batch element. TensorFlow.js's wasm
   * engine hands a batch-1 product to XNNPACK (about 20 GFLOP/s here) but computes a batched
   * one in a plain loop (about 2 GFLOP/s): for products big enough, slicing the batch apart and
   * stacking the results back costs far less than the loop. Other engines have one kernel for
   * every batch size, so splitting would only add copies.
   */
  readonly perBatchElement: boolean;
}

/**
 * Below this many multiply-adds per batch element (m k n), the slicing and stacking of a
 * per-element split (a few tenths of a millisecond per element on the wasm engine) cost more
 * than the batched loop they replace.
 */
export const PER_BATCH_MIN_WORK = 1 << 17;

/**
 * Batched matmul with broadcast batch axes, in the forms TensorFlow.js runs fastest: a plain 2-D
 * product when the right operand has no batch (rows of every batch stacked into one matrix),
 * else both operands broadcast to the full batch and flattened to one batch axis, or (see
 * MatmulLowering) one 2-D product per batch element.
 */
export function matmulKernel(node: Node & { op: "matmul" }, nodes: readonly Node[], lowering: MatmulLowering = { perBatchElement: false }): Kernel {
  const a = nodes[node.inputs[0]!]!.shape;
  const b = nodes[node.inputs[1]!]!.shape;
  const out = [...node.shape];
  const [m, n] = out.slice(-2) as [number, number];
  const k = a.at(-1)!;
  const batch = out.slice(0, -2);
  const batchSize = sizeOf(batch);
  if (a.length === 2 && b.length === 2) return (tf, [x, y]) => tf.matMul(x as TF.Tensor2D, y as TF.Tensor2D);
  const aBatch = sizeOf(a.slice(0, -2));
  const bBatch = sizeOf(b.slice(0, -2));
  if (bBatch === 1 && aBatch === batchSize) {
    return (tf, [x, y]) => tf.reshape(tf.matMul(tf.reshape(x!, [batchSize * m, k]) as TF.Tensor2D, tf.reshape(y!, [k, n]) as TF.Tensor2D), out);
  }
  const aFull = [...batch, m, k];
  const bFull = [...batch, k, n];
  if (lowering.perBatchElement && batchSize > 1 && m * k * n >= PER_BATCH_MIN_WORK) {
    // An operand without a batch is one matrix shared by every element; no copies of it are made.
    const matrices = (tf: Parameters<Kernel>[0], t: TF.Tensor, own: number, full: number[], rows: number, cols: number): TF.Tensor2D[] =>
      own === 1 ? Array<TF.Tensor2D>(batchSize).fill(tf.reshape(t, [rows, cols])) : (tf.unstack(tf.reshape(tf.broadcastTo(t, full), [batchSize, rows, cols])) as TF.Tensor2D[]);
    return (tf, [x, y]) => {
      const xs = matrices(tf, x!, aBatch, aFull, m, k);
      const ys = matrices(tf, y!, bBatch, bFull, k, n);
      return tf.reshape(tf.stack(xs.map((xi, i) => tf.matMul(xi, ys[i]!))), out);
    };
  }
  return (tf, [x, y]) => {
    const x3 = tf.reshape(tf.broadcastTo(x!, aFull), [batchSize, m, k]) as TF.Tensor3D;
    const y3 = tf.reshape(tf.broadcastTo(y!, bFull), [batchSize, k, n]) as TF.Tensor3D;
    return tf.reshape(tf.matMul(x3, y3), out);
  };
}
