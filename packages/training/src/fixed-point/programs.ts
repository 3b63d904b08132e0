// The programs of a fixed-point model's training step and evaluation, each compiled once per
// batch size. The step is not one program: a solver (with host-side stopping tests) runs between
// them. See docs/fixed-points.md, section 6.
import { type DType, Graph, JACOBIAN_PENALTY_OUTPUT, type Program, type Tensor, gradients, jacobianFrobeniusEstimate, ops } from "@unfold/core";
import { type AdamWOptions, adamwUpdate, correctPredictions, decayFlags, softmaxCrossEntropy, specLeaves } from "@unfold/nn";
import { INPUT, LOGITS, TARGET } from "../loop/programs.js";
import { type TaskData, inputShape, targetShape } from "../task/task.js";
import type { FixedPointModel } from "./model.js";
import type { TrainableSpecs } from "@unfold/nn";

/** The fixed point Y*'s feed name in the loss, update and logits programs. */
export const FIXED_POINT_STATE = "fixedPoint.state";
/** The loss program's output dL/dY*. */
export const STATE_COTANGENT = "stateCotangent";
/** The update program's feed for the implicit gradient in the map's parameter `name`. */
export const mapGradFeed = (name: string): string => `mapGrad.${name}`;
/** The update program's feed for the Jacobian penalty's probe vector `index` (model.fixedPoint.jacobianPenalty). */
export const jacobianProbeFeed = (index: number): string => `jacobianProbe.${index}`;
/** The update program's output: the Jacobian penalty's estimate of ||dT/dY||_F^2 at Y*, unweighted. */
export const JACOBIAN_PENALTY = JACOBIAN_PENALTY_OUTPUT;

/** inputs, params -> the map's energy parameters, by their names. */
export function mapParamsProgram(model: FixedPointModel, specs: TrainableSpecs, task: TaskData, batch: number, dtype: DType): Program {
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, batch), dtype);
  const params = specLeaves(graph, specs, dtype);
  return graph.toProgram(model.mapParams(input, params));
}

/** Y*, params, targets -> `loss`, `correct` and dL/dY* (`stateCotangent`): the loss at the fixed point. */
export function fixedPointLossProgram(model: FixedPointModel, specs: TrainableSpecs, task: TaskData, batch: number, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", FIXED_POINT_STATE, model.stateShape(batch), dtype);
  const targets = graph.leaf("input", TARGET, targetShape(task, batch), dtype);
  const params = specLeaves(graph, specs, dtype);
  const logits = model.head(state, params);
  const loss = softmaxCrossEntropy(logits, targets, { ignoreIndex: -1 });
  const [cotangent] = gradients(loss, [state]);
  return graph.toProgram({ loss, correct: ops.sum(correctPredictions(logits, targets)), [STATE_COTANGENT]: cotangent! });
}

/** Y*, params -> logits: evaluation of a fixed-point model once its solver has run. */
export function fixedPointLogitsProgram(model: FixedPointModel, specs: TrainableSpecs, batch: number, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", FIXED_POINT_STATE, model.stateShape(batch), dtype);
  const params = specLeaves(graph, specs, dtype);
  return graph.toProgram({ [LOGITS]: model.head(state, params) });
}

/**
 * The gradient of the training loss in every parameter and the AdamW update, given Y* and the
 * implicit gradient g_theta in each map parameter theta (feeds `mapGrad.<name>`). With
 * theta = f(params, input), the loss's gradient is (df/dparams)^T g_theta (the map parameters'
 * vector-Jacobian product) plus the head's direct gradient at the fixed Y*: both are the gradient
 * of the scalar sum_theta <f(params, input), g_theta> + L(head(Y*)), with Y* and g_theta fed as
 * constants. Feeds and outputs as @unfold/nn's trainStepProgram (`next.<p>`, `next.m.<p>`,
 * `next.v.<p>`, `loss`, `gradNorm`, `correct`), plus `grad.<p>`, the unclipped gradient.
 *
 * With model.fixedPoint.jacobianPenalty, the objective also has weight * the Hutchinson estimate
 * of ||dT/dY||_F^2 at the fed Y* (held constant) with the map's parameters f(params, input), so
 * the penalty's gradient reaches the training parameters through f. Its probe vectors are feeds
 * (`jacobianProbe.<i>`, the state's shape) so that each step can draw new ones into the one
 * compiled program; the unweighted estimate is the output `jacobianPenalty`. `loss` stays the
 * cross-entropy alone.
 */
export function fixedPointUpdateProgram(model: FixedPointModel, specs: TrainableSpecs, task: TaskData, batch: number, dtype: DType, optimizer: AdamWOptions): Program {
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, batch), dtype);
  const targets = graph.leaf("input", TARGET, targetShape(task, batch), dtype);
  const state = graph.leaf("input", FIXED_POINT_STATE, model.stateShape(batch), dtype);
  const params = specLeaves(graph, specs, dtype);
  const names = Object.keys(params);
  const m: Record<string, Tensor> = {};
  const v: Record<string, Tensor> = {};
  for (const p of names) {
    m[p] = graph.leaf("input", `m.${p}`, specs[p]!.shape, dtype);
    v[p] = graph.leaf("input", `v.${p}`, specs[p]!.shape, dtype);
  }
  const learningRate = graph.leaf("input", "learningRate", [], dtype);
  const step = graph.leaf("input", "step", [], dtype);
  const theta = model.mapParams(input, params);
  const logits = model.head(state, params);
  const loss = softmaxCrossEntropy(logits, targets, { ignoreIndex: -1 });
  let objective = loss;
  for (const [name, value] of Object.entries(theta)) {
    const g = graph.leaf("input", mapGradFeed(name), value.shape, dtype);
    objective = ops.add(objective, ops.sum(ops.mul(value, g)));
  }
  const penaltyConfig = model.config.jacobianPenalty;
  let penalty: Tensor | undefined;
  if (penaltyConfig) {
    const probes = Array.from({ length: penaltyConfig.probes }, (_, i) => graph.leaf("input", jacobianProbeFeed(i), model.stateShape(batch), dtype));
    penalty = jacobianFrobeniusEstimate(model.map(batch), state, theta, probes);
    objective = ops.add(objective, ops.mul(graph.constant(penaltyConfig.weight, [], dtype), penalty));
  }
  const list = gradients(objective, names.map((p) => params[p]!));
  const grads = Object.fromEntries(names.map((p, i) => [p, list[i]!]));
  const next = adamwUpdate({ params, grads, m, v, learningRate, step, decay: decayFlags(specs) }, optimizer);
  const outputs: Record<string, Tensor> = { loss, gradNorm: next.gradNorm, correct: ops.sum(correctPredictions(logits, targets)) };
  if (penalty) outputs[JACOBIAN_PENALTY] = penalty;
  for (const p of names) {
    outputs[`next.${p}`] = next.params[p]!;
    outputs[`next.m.${p}`] = next.m[p]!;
    outputs[`next.v.${p}`] = next.v[p]!;
    outputs[`grad.${p}`] = grads[p]!;
  }
  return graph.toProgram(outputs);
}
