import type { DType } from "../dtype.js";
import { type Energy, paramLeaves, termValues, totalOf } from "../energy/energy.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../trace/graph.js";
import { Graph } from "../trace/graph.js";
import type { Unfolding } from "./schedule.js";
import type { Step } from "./steps.js";

/** Output name of a term's value in energy-reporting programs. */
export const termOutput = (term: string): string => `term:${term}`;

function energyOutputs(energy: Energy, state: Tensor, params: Record<string, Tensor>): Record<string, Tensor> {
  const terms = termValues(energy, state, params);
  const out: Record<string, Tensor> = { energy: totalOf(terms) };
  for (const [name, value] of Object.entries(terms)) out[termOutput(name)] = value;
  return out;
}

/** state, params -> energy and each term. */
export function energyProgram(energy: Energy, shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  return graph.toProgram(energyOutputs(energy, state, paramLeaves(energy, graph, dtype)));
}

/** state, params, stepSize -> next state, with the energy and each term at the next state. */
export function stepProgram(energy: Energy, step: Step, shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const stepSize = graph.leaf("input", "stepSize", [], dtype);
  const params = paramLeaves(energy, graph, dtype);
  const next = step.apply(state, params, stepSize).named("next");
  return graph.toProgram({ state: next, ...energyOutputs(energy, next, params) });
}

/** Parameter name of layer `layer` in an untied unfolded program. */
export const layerParam = (name: string, layer: number): string => `${name}.${layer}`;

/**
 * The whole K-layer forward pass as one program, step sizes baked in: what a backend runs,
 * exports or trains. Untied unfoldings take one parameter set per layer (`name.layer`). With
 * `energies`, it also outputs `energy.<l>` for l = 0..K.
 */
export function unfoldedProgram(unfolding: Unfolding, shape: Shape, dtype: DType, options: { energies?: boolean } = {}): Program {
  const graph = new Graph();
  const { energy } = unfolding;
  let state = graph.leaf("input", "state", shape, dtype);
  const tied = unfolding.tiedWeights ? paramLeaves(energy, graph, dtype) : undefined;
  const outputs: Record<string, Tensor> = {};
  const record = (layer: number, params: Record<string, Tensor>): void => {
    if (options.energies) outputs[`energy.${layer}`] = totalOf(termValues(energy, state, params));
  };
  for (let layer = 0; layer < unfolding.layers; layer++) {
    const params = tied ?? paramLeaves(energy, graph, dtype, `.${layer}`);
    if (layer === 0) record(0, params);
    unfolding.steps.forEach((step, s) => {
      state = step.apply(state, params, graph.constant(unfolding.stepSize(s, layer), [], dtype));
    });
    record(layer + 1, params);
  }
  return graph.toProgram({ state, ...outputs });
}
