import { type DType, Graph, type Program, ops } from "@unfold/core";
import { type AdamWOptions, correctPredictions, specLeaves, softmaxCrossEntropy, trainStepProgram } from "@unfold/nn";
import { type TaskData, inputShape, targetShape } from "../task/task.js";
import type { TrainerModel } from "../model/model.js";

/** The input batch's feed name in every training program. */
export const INPUT = "inputs";
/** The targets' feed name in the training-step program. */
export const TARGET = "targets";
/** The logits' output name in the logits program. */
export const LOGITS = "logits";
/** The energy-trace program's output for E_l(Y^l), layer l's energy before its step. */
export const energyBefore = (layer: number): string => `energy.before.${layer}`;
/** The energy-trace program's output for E_l(Y^(l+1)), layer l's energy after its step. */
export const energyAfter = (layer: number): string => `energy.after.${layer}`;

/**
 * The whole training step as one program: the model's logits, the cross-entropy (positions
 * labelled -1 carry no loss), the gradient with respect to every parameter and the AdamW update.
 * Also outputs `correct`, the number of correctly predicted labels in the batch.
 */
export function trainingProgram(model: TrainerModel, task: TaskData, batch: number, dtype: DType, optimizer: AdamWOptions): Program {
  return trainStepProgram({
    specs: model.specs,
    inputs: { [INPUT]: inputShape(task, batch), [TARGET]: targetShape(task, batch) },
    dtype,
    optimizer,
    loss: (inputs, params) => {
      const logits = model.logits(inputs[INPUT]!, params);
      const targets = inputs[TARGET]!;
      return { loss: softmaxCrossEntropy(logits, targets, { ignoreIndex: -1 }), outputs: { correct: ops.sum(correctPredictions(logits, targets)) } };
    },
  });
}

/** inputs, params -> logits: what evaluation and prediction run (and what is exported to ONNX). */
export function logitsProgram(model: TrainerModel, task: TaskData, batch: number, dtype: DType): Program {
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, batch), dtype);
  const params = specLeaves(graph, model.specs, dtype);
  return graph.toProgram({ [LOGITS]: model.logits(input, params) });
}

/** One input (batch 1), params -> the energy at every layer boundary (energy models only). */
export function energyTraceProgram(model: TrainerModel, task: TaskData, dtype: DType): Program | undefined {
  if (!model.energyTrace) return undefined;
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, 1), dtype);
  const params = specLeaves(graph, model.specs, dtype);
  const { before, after } = model.energyTrace(input, params);
  const outputs: Record<string, ReturnType<typeof ops.add>> = {};
  before.forEach((e, l) => (outputs[energyBefore(l)] = e));
  after.forEach((e, l) => (outputs[energyAfter(l)] = e));
  return graph.toProgram(outputs);
}
