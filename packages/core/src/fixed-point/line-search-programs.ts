// The line search's device programs: the layer's direction at a state with the energy's slope
// along it, and a trial point along that direction with its energy.
import { gradients } from "../autodiff/gradients.js";
import type { DType } from "../dtype.js";
import { type Energy, paramLeaves, termValues, totalOf } from "../energy/energy.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { energyOutputs, squaredNorm } from "./forward-programs.js";
import { LAYER_MAP_OUTPUTS, type LayerMap, applyLayer } from "./layer-map.js";

/** Input and output names of the line search's programs. */
export const LINE_SEARCH_NAMES = {
  /** D = Y - T(Y): alpha times the step's direction (the gradient, for a plain gradient step). */
  direction: "direction",
  /** <grad E(Y), D>: minus the energy's derivative along -D, positive for a descent direction. */
  slope: "slope",
  /** The trial's multiple s of D: the trial point is Y - s D. */
  scale: "scale",
  /** The trial point. */
  state: "state",
} as const;

/** state, params -> D = Y - T(Y), <grad E(Y), D>, ||D||^2 (as residualSq) and ||Y||^2 (as stateSq). */
export function directionProgram(map: LayerMap, shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const params = paramLeaves(map.energy, graph, dtype);
  const direction = ops.sub(state, applyLayer(map, state, params));
  const gradient = gradients(totalOf(termValues(map.energy, state, params)), [state])[0]!;
  return graph.toProgram({
    [LINE_SEARCH_NAMES.direction]: direction,
    [LINE_SEARCH_NAMES.slope]: ops.sum(ops.mul(gradient, direction)),
    [LAYER_MAP_OUTPUTS.residualSq]: squaredNorm(direction),
    [LAYER_MAP_OUTPUTS.stateSq]: squaredNorm(state),
  });
}

/** state, direction, scale, params -> the trial point Y - s D, and the energy and each term there. */
export function trialProgram(energy: Energy, shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const direction = graph.leaf("input", LINE_SEARCH_NAMES.direction, shape, dtype);
  const scale = graph.leaf("input", LINE_SEARCH_NAMES.scale, [], dtype);
  const trial = ops.sub(state, ops.mul(direction, scale)).named("trial");
  return graph.toProgram({ [LINE_SEARCH_NAMES.state]: trial, ...energyOutputs(energy, trial, paramLeaves(energy, graph, dtype)) });
}
