// What the implicit-gradient tests share (not a test file): the gradient backpropagated through a
// long unrolling, and the angle between gradients.
import {
  type Backend,
  type HostTensor,
  type ParamValues,
  type Unfolding,
  Graph,
  differentiate,
  inline,
  ops,
  runToHost,
  toFloat64,
  unfoldedProgram,
} from "../../src/index.js";

/** d<cotangent, Y_K>/dtheta through the K-layer unrolling, by reverse mode over every layer. */
export async function unrolledGradient(backend: Backend, unfolding: Unfolding, state: HostTensor, params: ParamValues, cotangent: HostTensor): Promise<Record<string, Float64Array>> {
  const inner = unfoldedProgram(unfolding, state.shape, state.dtype);
  const graph = new Graph();
  const leaves = Object.fromEntries(inner.feeds.map((f) => [f.name, graph.leaf(f.kind, f.name, f.shape, f.dtype)]));
  const ct = graph.leaf("input", "cotangent", state.shape, state.dtype);
  const outs = inline(graph, inner, leaves);
  const program = differentiate(graph.toProgram({ loss: ops.sum(ops.mul(outs["state"]!, ct)) }), { of: "loss" });
  const result = await runToHost(await backend.compile(program), { state, cotangent, ...params });
  return Object.fromEntries(Object.keys(params).map((n) => [n, toFloat64(result[`grad_${n}`]!)]));
}

/** Concatenates per-parameter gradients in name order. */
export function flatten(grads: Readonly<Record<string, ArrayLike<number> | HostTensor>>): Float64Array {
  const parts = Object.keys(grads)
    .sort()
    .map((n) => {
      const g = grads[n]!;
      return "data" in g ? toFloat64(g as HostTensor) : Float64Array.from(g as ArrayLike<number>);
    });
  return Float64Array.from(parts.flatMap((p) => Array.from(p)));
}

/** The angle between two vectors, in degrees. */
export function angleDegrees(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return (Math.acos(Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)))) * 180) / Math.PI;
}
