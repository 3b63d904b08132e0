import type { CompositeOf, Node } from "@unfold/core";
import type { Kernel } from "./kernel.js";

/**
 * The composite kinds the planner looks for (core's recognizer finds them): those with a
 * TensorFlow.js op of the same meaning for some instance. Others run node by node, and so do the
 * composites inside them (a crossEntropy's logSoftmax is still found on its own).
 */
export const TFJS_COMPOSITES = ["softmax", "logSoftmax", "logsumexp", "layerNorm", "sigmoid"] as const;
/** A composite of a kind the planner looks for. */
export type TfjsComposite = CompositeOf<(typeof TFJS_COMPOSITES)[number]>;

/**
 * The native TensorFlow.js op for a recognised composite, or undefined where none has the same
 * meaning (the composite then runs node by node). tf.softmax and tf.logSoftmax only work on the
 * last axis; tf.logSumExp takes any axis and subtracts the maximum first, as the decomposition
 * does; tf.moments gives the two-pass mean and variance a layer norm needs.
 */
export function fusedKernel(f: TfjsComposite, root: Node): Kernel | undefined {
  const last = f.axis === root.shape.length - 1;
  switch (f.kind) {
    case "softmax":
      return last ? (tf, [x]) => tf.softmax(x!) : undefined;
    case "logSoftmax":
      return last ? (tf, [x]) => tf.logSoftmax(x!) : undefined;
    case "logsumexp":
      return (tf, [x]) => tf.logSumExp(x!, f.axis, true);
    case "layerNorm":
      return (tf, [x]) => {
        const { mean, variance } = tf.moments(x!, f.axis, true);
        return tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, f.eps)));
      };
    case "sigmoid":
      // Left to core's two-branch form: it keeps full relative accuracy in both tails in float32,
      // which a one-kernel 1 / (1 + e^-x) does not promise on every tfjs engine.
      return undefined;
  }
}
