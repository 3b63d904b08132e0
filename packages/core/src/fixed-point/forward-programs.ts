// The compiled programs of the forward solvers' shared parts: one iteration of T with everything
// the stopping test and the guard read (scalars only), and the energy of a state. Anderson's and
// the line search's own programs live beside their solvers.
import type { DType } from "../dtype.js";
import { type Energy, paramLeaves, termValues, totalOf } from "../energy/energy.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph, type Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { applyStep, termOutput } from "../unfold/programs.js";
import { LAYER_MAP_OUTPUTS, type LayerMap } from "./layer-map.js";

/** Output names of iterationProgram beyond LAYER_MAP_OUTPUTS. */
export const ITERATION_OUTPUTS = {
  /** G = T(Y) - Y, as a tensor (only when asked for: Anderson keeps it). */
  residual: "residual",
  /** The total energy after step s of the layer (0-based), for every step but the last (whose energy is `energy`). */
  stepEnergy: (s: number): string => `step${s}:energy`,
  /** A term's energy after step s. */
  stepTerm: (s: number, term: string): string => `step${s}:${termOutput(term)}`,
} as const;

/** ||t||^2 summed over every element. */
export const squaredNorm = (t: Tensor): Tensor => ops.sum(ops.mul(t, t));

/** The energy and each term of `energy` at `state`, as program outputs named with `prefix`. */
export function energyOutputs(energy: Energy, state: Tensor, params: Record<string, Tensor>, prefix = ""): Record<string, Tensor> {
  const terms = termValues(energy, state, params);
  const outputs: Record<string, Tensor> = { [`${prefix}${LAYER_MAP_OUTPUTS.energy}`]: totalOf(terms) };
  for (const [name, value] of Object.entries(terms)) outputs[`${prefix}${termOutput(name)}`] = value;
  return outputs;
}

/**
 * state, params -> what layerMapProgram gives (T(Y), ||T(Y) - Y||^2, ||Y||^2, the energy and terms
 * at T(Y)), and the energy and terms after each step before the last, so the guard can watch every
 * step of the layer as runUnfolding does; with `residual`, also G = T(Y) - Y as a tensor.
 */
export function iterationProgram(map: LayerMap, shape: Shape, dtype: DType, options: { readonly residual: boolean }): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const params = paramLeaves(map.energy, graph, dtype);
  const outputs: Record<string, Tensor> = {};
  let next = state;
  map.steps.forEach((step, s) => {
    next = applyStep(map.energy, step, next, params, graph.constant(map.stepSizes[s]!, [], dtype));
    if (s < map.steps.length - 1) Object.assign(outputs, energyOutputs(map.energy, next, params, `step${s}:`));
  });
  next = next.named("next");
  const diff = ops.sub(next, state);
  Object.assign(outputs, energyOutputs(map.energy, next, params));
  outputs[LAYER_MAP_OUTPUTS.next] = next;
  outputs[LAYER_MAP_OUTPUTS.residualSq] = squaredNorm(diff);
  outputs[LAYER_MAP_OUTPUTS.stateSq] = squaredNorm(state);
  if (options.residual) outputs[ITERATION_OUTPUTS.residual] = diff;
  return graph.toProgram(outputs);
}
