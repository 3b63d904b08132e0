// The layer map T of a fixed-point model: one layer of an unfolding (its steps in order, at one
// step size each), applied until T(Y) = Y. A fixed point needs one map, so the unfolding's weights
// must be tied and each step's size the same at every layer; the layer count is irrelevant.
// See docs/fixed-points.md for the mathematics (forward solvers, implicit gradients).
import type { DType } from "../dtype.js";
import { type Energy, paramLeaves, termValues, totalOf } from "../energy/energy.js";
import { UnfoldError } from "../errors.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph, type Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { applyStep, termOutput } from "../unfold/programs.js";
import type { Unfolding } from "../unfold/schedule.js";
import type { Step } from "../unfold/steps.js";

/** One layer of a tied unfolding as the map T whose fixed point a solver seeks. */
export interface LayerMap<N extends string = string> {
  readonly unfolding: Unfolding<N>;
  readonly energy: Energy<N>;
  readonly steps: readonly Step<N>[];
  /** Each step's size, in step order: the unfolding's sizes at its first layer (the same at every layer). */
  readonly stepSizes: readonly number[];
}

/**
 * The layer map of `unfolding`. Refuses untied weights and step sizes that change by layer
 * (either makes each layer a different map, with no common fixed point), naming the step.
 */
export function layerMap<N extends string>(unfolding: Unfolding<N>, op = "layerMap"): LayerMap<N> {
  if (!unfolding.tiedWeights) {
    throw new UnfoldError(op, `a fixed point needs one layer map, but the unfolding of energy '${unfolding.energy.name}' has untied weights (one parameter set per layer); define it with tiedWeights: true`);
  }
  const stepSizes = unfolding.steps.map((step, s) => {
    const first = unfolding.stepSize(s, 0);
    for (let layer = 1; layer < unfolding.layers; layer++) {
      const size = unfolding.stepSize(s, layer);
      if (size !== first) {
        throw new UnfoldError(op, `a fixed point needs one layer map, but step '${step.name}' has size ${first} at layer 1 and ${size} at layer ${layer + 1}; give it one size for every layer`);
      }
    }
    return first;
  });
  return { unfolding, energy: unfolding.energy, steps: unfolding.steps, stepSizes };
}

/** T(state) traced into state's graph: the layer's steps in order at their sizes. */
export function applyLayer(map: LayerMap, state: Tensor, params: Record<string, Tensor>): Tensor {
  let next = state;
  map.steps.forEach((step, s) => {
    next = applyStep(map.energy, step, next, params, state.graph.constant(map.stepSizes[s]!, [], state.dtype));
  });
  return next;
}

/** Output names of layerMapProgram. */
export const LAYER_MAP_OUTPUTS = {
  /** T(Y). */
  next: "state",
  /** ||T(Y) - Y||^2, summed over every element. */
  residualSq: "residualSq",
  /** ||Y||^2. */
  stateSq: "stateSq",
  /** E(T(Y)), the total energy at the next state (each term as termOutput(name)). */
  energy: "energy",
} as const;

/**
 * state, params -> T(state), the squared residual ||T(Y) - Y||^2, ||Y||^2, and the energy and each
 * term at T(Y): one iteration of a forward solver, whose stopping test reads only the scalars.
 */
export function layerMapProgram(map: LayerMap, shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const params = paramLeaves(map.energy, graph, dtype);
  const next = applyLayer(map, state, params).named("next");
  const diff = ops.sub(next, state);
  const terms = termValues(map.energy, next, params);
  const outputs: Record<string, Tensor> = {
    [LAYER_MAP_OUTPUTS.next]: next,
    [LAYER_MAP_OUTPUTS.residualSq]: ops.sum(ops.mul(diff, diff)),
    [LAYER_MAP_OUTPUTS.stateSq]: ops.sum(ops.mul(state, state)),
    [LAYER_MAP_OUTPUTS.energy]: totalOf(terms),
  };
  for (const [name, value] of Object.entries(terms)) outputs[termOutput(name)] = value;
  return graph.toProgram(outputs);
}
