// What the zoo's implicit-gradient tests share (not a test file): a zoo example as a tied layer
// map, its fixed point by iterating the map, the gradient backpropagated through a long
// unrolling, and the angle between two gradients.
import {
  type Backend,
  type HostTensor,
  type LayerMap,
  type ParamValues,
  type Step,
  type Unfolding,
  Graph,
  LAYER_MAP_OUTPUTS,
  defineUnfolding,
  differentiate,
  inline,
  layerMap,
  layerMapProgram,
  ops,
  runToHost,
  toFloat64,
  unfoldedProgram,
} from "@unfold/core";
import type { ZooExample } from "../src/zoo/entry.js";

/** A zoo example's layer as a tied unfolding of `layers` layers (its first parameter set when untied). */
export function tied(example: ZooExample, layers: number, steps: readonly Step[] = example.unfolding.steps): { unfolding: Unfolding; map: LayerMap; params: ParamValues } {
  const params = Array.isArray(example.params) ? (example.params as readonly ParamValues[])[0]! : (example.params as ParamValues);
  const sizes = Object.fromEntries(example.unfolding.steps.map((s, i) => [s.name, example.unfolding.stepSize(i, 0)]));
  const unfolding = defineUnfolding({
    energy: example.unfolding.energy,
    steps: steps.map((s) => s),
    layers,
    tiedWeights: true,
    stepSizes: Object.fromEntries(steps.map((s) => [s.name, sizes[s.name] ?? s.stepSize])),
  });
  return { unfolding, map: layerMap(unfolding), params };
}

/** Iterates T from `state` until ||T(Y) - Y|| / ||Y|| <= tol; throws after maxIterations. */
export async function iterateToFixedPoint(backend: Backend, map: LayerMap, state: HostTensor, params: ParamValues, tol = 1e-13, maxIterations = 20000): Promise<{ state: HostTensor; iterations: number }> {
  const executable = await backend.compile(layerMapProgram(map, state.shape, state.dtype));
  let y = state;
  for (let k = 1; k <= maxIterations; k++) {
    const outs = await runToHost(executable, { state: y, ...params });
    const residual = Math.sqrt(outs[LAYER_MAP_OUTPUTS.residualSq]!.data[0]! / outs[LAYER_MAP_OUTPUTS.stateSq]!.data[0]!);
    y = outs[LAYER_MAP_OUTPUTS.next]!;
    if (residual <= tol) return { state: y, iterations: k };
  }
  throw new Error(`no fixed point to ${tol} in ${maxIterations} iterations`);
}

/** d<cotangent, Y_K>/dtheta through the K-layer unrolling from `state`, by reverse mode over every layer. */
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
export function flatten(grads: Readonly<Record<string, Float64Array | HostTensor>>): Float64Array {
  const parts = Object.keys(grads)
    .sort()
    .map((n) => {
      const g = grads[n]!;
      return g instanceof Float64Array ? g : toFloat64(g);
    });
  return Float64Array.from(parts.flatMap((p) => Array.from(p)));
}

/** The angle between two vectors, in degrees. */
export function angleDegrees(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return (Math.acos(Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)))) * 180) / Math.PI;
}
