// The programs an implicit gradient runs: products with the layer map's Jacobians (vector-Jacobian
// products by core's autodiff on applyLayer), and for a plain gradient step, products with the
// energy's Hessian. Each takes the fixed point as the input `state`, the energy's parameters, and
// one vector, so a solver keeps every vector resident and feeds it back run after run.
// See docs/fixed-points.md, section 3.
import type { DType } from "../dtype.js";
import { gradients } from "../autodiff/gradients.js";
import { paramLeaves, termValues, totalOf } from "../energy/energy.js";
import { UnfoldError } from "../errors.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph, type Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { type LayerMap, applyLayer } from "./layer-map.js";

/** Feed and output names of the adjoint programs. */
export const ADJOINT_NAMES = {
  /** Input: the fixed point Y*. */
  state: "state",
  /** Input: the vector a product is taken with (the adjoint u, or a Krylov vector). */
  vector: "vector",
  /** Input: dL/dY*, the loss's cotangent at the fixed point. */
  cotangent: "cotangent",
  /** Output: the product. */
  product: "product",
  /** Output of adjointIterationProgram: ||u_next - u||^2. */
  residualSq: "residualSq",
} as const;

/** Output name of the gradient of parameter `name` in parameterVjpProgram and phantomProgram. */
export const gradOutput = (name: string): string => `grad:${name}`;

function leaves(map: LayerMap, shape: Shape, dtype: DType): { graph: Graph; state: Tensor; vector: Tensor; params: Record<string, Tensor> } {
  const graph = new Graph();
  const state = graph.leaf("input", ADJOINT_NAMES.state, shape, dtype);
  const vector = graph.leaf("input", ADJOINT_NAMES.vector, shape, dtype);
  return { graph, state, vector, params: paramLeaves(map.energy, graph, dtype) };
}

/** J_Y^T v for T = applyLayer at `state`: the vector-Jacobian product in the state. */
function stateVjp(map: LayerMap, state: Tensor, params: Record<string, Tensor>, vector: Tensor): Tensor {
  return gradients(applyLayer(map, state, params), [state], vector)[0]!;
}

/**
 * state, vector u, cotangent g, params -> `product` = J_Y^T u + g and `residualSq` =
 * ||J_Y^T u + g - u||^2: one step of fixed-point iteration on the adjoint equation
 * u = J_Y^T u + g, whose residual is the adjoint equation's residual at u.
 */
export function adjointIterationProgram(map: LayerMap, shape: Shape, dtype: DType): Program {
  const { graph, state, vector, params } = leaves(map, shape, dtype);
  const cotangent = graph.leaf("input", ADJOINT_NAMES.cotangent, shape, dtype);
  const next = ops.add(stateVjp(map, state, params, vector), cotangent);
  const diff = ops.sub(next, vector);
  return graph.toProgram({ [ADJOINT_NAMES.product]: next, [ADJOINT_NAMES.residualSq]: ops.sum(ops.mul(diff, diff)) });
}

/** state, vector v, params -> `product` = (I - J_Y^T) v: the adjoint equation's operator, for GMRES. */
export function adjointOperatorProgram(map: LayerMap, shape: Shape, dtype: DType): Program {
  const { graph, state, vector, params } = leaves(map, shape, dtype);
  return graph.toProgram({ [ADJOINT_NAMES.product]: ops.sub(vector, stateVjp(map, state, params, vector)) });
}

/**
 * Whether T is one plain gradient step x - alpha grad E_S(x) (E_S the sum of the terms it
 * descends), so that I - J_Y^T = alpha H_S with H_S symmetric; `null` when it is, else why not.
 */
export function whyNotPlainGradient(map: LayerMap): string | null {
  if (map.steps.length !== 1) {
    return `the layer has ${map.steps.length} steps (${map.steps.map((s) => `'${s.name}'`).join(", ")}), and conjugate gradients needs one plain gradient step`;
  }
  const step = map.steps[0]!;
  if (step.plainGradient !== true) {
    return `step '${step.name}' (a ${step.kind} step) is not a plain gradient step x - alpha grad E(x) (gradientStep through the state, with no preconditioner), so its Jacobian is not I - alpha H with H symmetric`;
  }
  return null;
}

/**
 * state, vector v, params -> `product` = alpha H v, with H the Hessian of the terms T's single
 * plain gradient step descends and alpha its size: (I - J_Y^T) v computed as a symmetric
 * Hessian-vector product, the operator conjugate gradients solves with. Refuses any other T.
 */
export function scaledHessianProgram(map: LayerMap, shape: Shape, dtype: DType, op = "scaledHessianProgram"): Program {
  const why = whyNotPlainGradient(map);
  if (why !== null) throw new UnfoldError(op, why);
  const step = map.steps[0]!;
  const { graph, state, vector, params } = leaves(map, shape, dtype);
  const energy = totalOf(termValues(map.energy, state, params, step.terms));
  const g = gradients(energy, [state])[0]!;
  const hv = gradients(ops.sum(ops.mul(g, vector)), [state])[0]!;
  return graph.toProgram({ [ADJOINT_NAMES.product]: ops.mul(hv, graph.constant(map.stepSizes[0]!, [], dtype)) });
}

/** state, vector u, params -> `grad:<name>` = (dT/dtheta)^T u for every parameter theta of the energy. */
export function parameterVjpProgram(map: LayerMap, shape: Shape, dtype: DType): Program {
  const { graph, state, vector, params } = leaves(map, shape, dtype);
  const names = Object.keys(params);
  const grads = gradients(applyLayer(map, state, params), names.map((n) => params[n]!), vector);
  return graph.toProgram(Object.fromEntries(names.map((n, i) => [gradOutput(n), grads[i]!])));
}

/**
 * state Y*, cotangent g, params -> `grad:<name>`: the phantom gradient, the parameter gradient of
 * <g, Y_k> through k damped steps Y_{i+1} = (1 - lambda) Y_i + lambda T(Y_i) from Y_0 = Y* (held
 * constant). With k = 1 and lambda = 1 it is Jacobian-free backprop's gradient.
 */
export function phantomProgram(map: LayerMap, shape: Shape, dtype: DType, steps: number, damping: number): Program {
  const graph = new Graph();
  const state = graph.leaf("input", ADJOINT_NAMES.state, shape, dtype);
  const cotangent = graph.leaf("input", ADJOINT_NAMES.cotangent, shape, dtype);
  const params = paramLeaves(map.energy, graph, dtype);
  const lambda = graph.constant(damping, [], dtype);
  const keep = graph.constant(1 - damping, [], dtype);
  let y = state;
  for (let i = 0; i < steps; i++) {
    const t = applyLayer(map, y, params);
    y = damping === 1 ? t : ops.add(ops.mul(y, keep), ops.mul(t, lambda));
  }
  const names = Object.keys(params);
  const grads = gradients(y, names.map((n) => params[n]!), cotangent);
  return graph.toProgram(Object.fromEntries(names.map((n, i) => [gradOutput(n), grads[i]!])));
}
