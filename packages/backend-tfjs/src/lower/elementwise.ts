import type * as TF from "@tensorflow/tfjs";
import type { BinaryOp, Node, UnaryOp } from "@unfold/core";
import type { Tf } from "../engine.js";
import type { Kernel } from "./kernel.js";

const UNARY: Record<UnaryOp, (tf: Tf, x: TF.Tensor) => TF.Tensor> = {
  neg: (tf, x) => tf.neg(x),
  exp: (tf, x) => tf.exp(x),
  log: (tf, x) => tf.log(x),
  sqrt: (tf, x) => tf.sqrt(x),
  tanh: (tf, x) => tf.tanh(x),
  abs: (tf, x) => tf.abs(x),
  sign: (tf, x) => tf.sign(x),
  // Differentiation is over once a program runs: the identity.
  stopGradient: (_tf, x) => x,
};

/** TensorFlow.js binary ops broadcast as NumPy does, as core's binary primitives do. */
const BINARY: Record<BinaryOp, (tf: Tf, a: TF.Tensor, b: TF.Tensor) => TF.Tensor> = {
  add: (tf, a, b) => tf.add(a, b),
  sub: (tf, a, b) => tf.sub(a, b),
  mul: (tf, a, b) => tf.mul(a, b),
  div: (tf, a, b) => tf.div(a, b),
  max: (tf, a, b) => tf.maximum(a, b),
  min: (tf, a, b) => tf.minimum(a, b),
  pow: (tf, a, b) => tf.pow(a, b),
  // Comparisons give booleans in TensorFlow.js, 1 or 0 in the program's dtype in Unfold.
  greater: (tf, a, b) => tf.cast(tf.greater(a, b), "float32"),
  greaterEqual: (tf, a, b) => tf.cast(tf.greaterEqual(a, b), "float32"),
  equal: (tf, a, b) => tf.cast(tf.equal(a, b), "float32"),
};

export function unaryKernel(node: Node & { op: UnaryOp }): Kernel {
  const f = UNARY[node.op];
  return (tf, [x]) => f(tf, x!);
}

export function binaryKernel(node: Node & { op: BinaryOp }): Kernel {
  const f = BINARY[node.op];
  return (tf, [a, b]) => f(tf, a!, b!);
}

/** Only float32 reaches here (compile rejects float64), so a cast is float32 to float32: the identity. */
export function castKernel(): Kernel {
  return (_tf, [x]) => x!;
}
