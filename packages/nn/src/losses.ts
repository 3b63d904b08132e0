import { ShapeError, type Tensor, logSoftmax, ops } from "@unfold/core";
import { describeArg, requireCompatible, requireFinite, requireMinRank, requireTensor } from "./check.js";

function checkLogitsAndLabels(op: string, logits: Tensor, labels: Tensor): void {
  requireTensor(op, "logits", logits);
  requireTensor(op, "labels", labels);
  requireMinRank(op, "logits", logits, 1);
  requireCompatible(op, ["logits", logits], ["labels", labels]);
  const rows = logits.shape.slice(0, -1);
  if (labels.rank !== rows.length || labels.shape.some((d, i) => d !== rows[i])) {
    throw new ShapeError(op, `${describeArg("labels", labels)} must have the shape of ${describeArg("logits", logits)} without its class axis`);
  }
}

/**
 * 1 where the label is class c, along a new last axis of `classes`: labels [...] -> [..., C].
 * A comparison with a constant 0..C-1 row (C values), not core's oneHot, whose gather reads a
 * C x C identity: that constant would be the size of a vocabulary squared.
 */
function labelMask(labels: Tensor, classes: number): Tensor {
  const row = labels.graph.constant(Float64Array.from({ length: classes }, (_, c) => c), [classes], labels.dtype);
  return ops.equal(ops.reshape(labels, [...labels.shape, 1]), row);
}

/**
 * Mean cross-entropy of logits [..., C] against integer labels [...] (float dtype). Labels equal
 * to `ignoreIndex` (default -1) contribute nothing and are left out of the mean; when every label
 * is ignored the loss is 0. A label outside [0, C) that is not `ignoreIndex` matches no class and
 * so also adds 0, but it is counted in the mean: check labels on the host.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: { ignoreIndex?: number } = {}): Tensor {
  const op = "softmaxCrossEntropy";
  checkLogitsAndLabels(op, logits, labels);
  const ignoreIndex = requireFinite(op, "ignoreIndex", options.ignoreIndex ?? -1);
  const kept = ops.sub(1, ops.equal(labels, ignoreIndex));
  const targets = ops.mul(labelMask(labels, logits.shape.at(-1)!), ops.reshape(kept, [...labels.shape, 1]));
  const total = ops.neg(ops.sum(ops.mul(targets, logSoftmax(logits, -1))));
  return ops.div(total, ops.maximum(ops.sum(kept), 1)).named("crossEntropy");
}

/**
 * 1 where the logits' unique largest class is the label, else 0, shaped like the labels. A tie
 * for the largest logit counts as wrong, so a constant model never scores.
 */
export function correctPredictions(logits: Tensor, labels: Tensor): Tensor {
  checkLogitsAndLabels("correctPredictions", logits, labels);
  // A count, not a function to differentiate: no derivative nodes should reach through it.
  const frozen = ops.stopGradient(logits);
  const isMax = ops.equal(frozen, ops.max(frozen, -1, true));
  const labelIsMax = ops.sum(ops.mul(isMax, labelMask(labels, logits.shape.at(-1)!)), -1);
  return ops.mul(labelIsMax, ops.equal(ops.sum(isMax, -1), 1));
}
