// Anderson acceleration's device programs, one per history size (the backend's compile cache
// keeps each once per shape, dtype and size): the new row of the Gram matrix of residuals, and the
// mix of the history with the energy at the mixed iterate (the safeguard's test).
import type { DType } from "../dtype.js";
import { type Energy, paramLeaves } from "../energy/energy.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph, type Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { energyOutputs } from "./forward-programs.js";

/** Input and output names of Anderson's programs. */
export const ANDERSON_NAMES = {
  /** The newest residual G_k. */
  residual: "residual",
  /** The i-th history entry's iterate Y_i and residual G_i (0: oldest). */
  iterate: (i: number): string => `iterate${i}`,
  history: (i: number): string => `history${i}`,
  /** The i-th mixing weight alpha_i, a scalar. */
  weight: (i: number): string => `weight${i}`,
  /** beta, a scalar. */
  mixing: "mixing",
  /** <G_k, G_i>, an output of the Gram row program. */
  dot: (i: number): string => `dot${i}`,
  /** The mixed iterate, an output of the mix program. */
  state: "state",
} as const;

/** residual, history0..history{count-1} -> dot_i = <residual, history_i>: the Gram matrix's new row. */
export function gramRowProgram(shape: Shape, dtype: DType, count: number): Program {
  const graph = new Graph();
  const residual = graph.leaf("input", ANDERSON_NAMES.residual, shape, dtype);
  const outputs: Record<string, Tensor> = {};
  for (let i = 0; i < count; i++) {
    outputs[ANDERSON_NAMES.dot(i)] = ops.sum(ops.mul(residual, graph.leaf("input", ANDERSON_NAMES.history(i), shape, dtype)));
  }
  return graph.toProgram(outputs);
}

/**
 * iterate_i, history_i, weight_i (i < count), mixing, params -> the mixed iterate
 * sum_i alpha_i (Y_i + beta G_i), and the energy and each term there.
 */
export function mixProgram(energy: Energy, shape: Shape, dtype: DType, count: number): Program {
  const graph = new Graph();
  const beta = graph.leaf("input", ANDERSON_NAMES.mixing, [], dtype);
  let mixed: Tensor | undefined;
  for (let i = 0; i < count; i++) {
    const y = graph.leaf("input", ANDERSON_NAMES.iterate(i), shape, dtype);
    const g = graph.leaf("input", ANDERSON_NAMES.history(i), shape, dtype);
    const alpha = graph.leaf("input", ANDERSON_NAMES.weight(i), [], dtype);
    const term = ops.mul(ops.add(y, ops.mul(g, beta)), alpha);
    mixed = mixed === undefined ? term : ops.add(mixed, term);
  }
  const state = mixed!.named("mixed");
  return graph.toProgram({ [ANDERSON_NAMES.state]: state, ...energyOutputs(energy, state, paramLeaves(energy, graph, dtype)) });
}
