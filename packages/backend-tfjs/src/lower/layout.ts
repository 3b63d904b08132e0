import type { Node } from "@unfold/core";
import type { Kernel } from "./kernel.js";

export function reshapeKernel(node: Node & { op: "reshape" }): Kernel {
  const shape = [...node.shape];
  return (tf, [x]) => tf.reshape(x!, shape);
}

export function broadcastKernel(node: Node & { op: "broadcast" }): Kernel {
  const shape = [...node.shape];
  return (tf, [x]) => tf.broadcastTo(x!, shape);
}

export function transposeKernel(node: Node & { op: "transpose" }): Kernel {
  const perm = [...node.perm];
  return (tf, [x]) => tf.transpose(x!, perm);
}

export function sliceKernel(node: Node & { op: "slice" }): Kernel {
  const begin = [...node.begin];
  const size = [...node.shape];
  return (tf, [x]) => tf.slice(x!, begin, size);
}

export function concatKernel(node: Node & { op: "concat" }): Kernel {
  return (tf, args) => tf.concat([...args], node.axis);
}
