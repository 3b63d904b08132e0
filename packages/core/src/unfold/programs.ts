import type { DType } from "../dtype.js";
import { type Energy, paramLeaves, termValues, totalOf } from "../energy/energy.js";
import type { Program } from "../ir/program.js";
import { ShapeError, UnfoldError, formatShape, locatedError, within } from "../errors.js";
import { guardParams } from "../energy/guard.js";
import { type Shape, sameShape } from "../shape.js";
import { Graph, Tensor } from "../trace/graph.js";
import { describeValue } from "../validate.js";
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

/**
 * One step traced inside an unfolding of `energy` (or inside a fixed-point layer map): its
 * parameters guarded and its errors located (a projection knows no energy of its own, so this is
 * where its reads are checked), and its result checked to be a next state of the same shape and
 * dtype.
 */
export function applyStep(energy: Energy, step: Step, state: Tensor, params: Record<string, Tensor>, stepSize: Tensor): Tensor {
  const where = `step '${step.name}' of energy '${energy.name}'`;
  const next = within(where, () => step.apply(state, guardParams(energy, params, where), stepSize));
  if (!(next instanceof Tensor)) throw locatedError(new UnfoldError("step", `${where} returned ${describeValue(next)}, not a Tensor`));
  if (!sameShape(next.shape, state.shape) || next.dtype !== state.dtype) {
    throw locatedError(
      new ShapeError("step", `${where} returned ${next.dtype}${formatShape(next.shape)}; the next state must be like the state, ${state.dtype}${formatShape(state.shape)}`),
    );
  }
  return next;
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
  const next = applyStep(energy, step, state, params, stepSize).named("next");
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
      state = applyStep(energy, step, state, params, graph.constant(unfolding.stepSize(s, layer), [], dtype));
    });
    record(layer + 1, params);
  }
  return graph.toProgram({ state, ...outputs });
}
