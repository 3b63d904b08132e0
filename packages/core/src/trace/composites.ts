import { ShapeError, describe } from "../errors.js";
import type { Tensor } from "./graph.js";
import * as ops from "./ops.js";
import { requireTensor } from "./operands.js";
import { requireInteger, requireNonNegative, requireOptions } from "../validate.js";

/**
 * Composites: decompositions into primitives, in numerically stable form. Each is emitted
 * inside a composite scope so a backend may recognise and fuse it; the decomposition is the
 * meaning every backend must reproduce.
 */

function axisOf(x: Tensor, axis: number, op: string): number {
  requireTensor(op, x);
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= x.rank) {
    throw new ShapeError(op, `axis ${axis} is out of range for ${describe(x.label, x.shape)}`);
  }
  return a;
}

/** log sum exp, with the maximum subtracted first so no exponential overflows. */
export function logsumexp(x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = axisOf(x, axis, "logsumexp");
  return x.graph.composite("logsumexp", () => {
    // The shift is a constant for differentiation: the result does not depend on it.
    const m = ops.stopGradient(ops.max(x, a, true));
    const lse = ops.add(ops.log(ops.sum(ops.exp(ops.sub(x, m)), a, true)), m);
    return keepDims ? lse : ops.reshape(lse, x.shape.filter((_, i) => i !== a));
  });
}

/** softmax along `axis` (the last by default), max-subtracted so large logits do not overflow; traced as a composite. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = axisOf(x, axis, "softmax");
  return x.graph.composite("softmax", () => {
    const e = ops.exp(ops.sub(x, ops.stopGradient(ops.max(x, a, true))));
    return ops.div(e, ops.sum(e, a, true));
  });
}

/** log softmax along `axis`: x - logsumexp(x), without forming the softmax; traced as a composite. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = axisOf(x, axis, "logSoftmax");
  return x.graph.composite("logSoftmax", () => ops.sub(x, logsumexp(x, a, true)));
}

/** The logistic function 1 / (1 + e^-x), elementwise, in a form that does not overflow; traced as a composite. */
export function sigmoid(x: Tensor): Tensor {
  requireTensor("sigmoid", x);
  // Each branch sees only its own half-line, clamped, so nothing overflows and neither tail
  // cancels: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) for x < 0. (0.5 (1 + tanh(x/2)) loses
  // all relative accuracy in float32 for x << 0, where 1 + tanh cancels.) At x = 0 the first
  // branch carries the derivative, 1/4.
  return x.graph.composite("sigmoid", () => {
    const positive = ops.greaterEqual(x, 0);
    const ePos = ops.exp(ops.neg(ops.maximum(x, 0)));
    const eNeg = ops.exp(ops.minimum(x, 0));
    const upper = ops.div(1, ops.add(ePos, 1));
    const lower = ops.div(eNeg, ops.add(eNeg, 1));
    return ops.add(ops.mul(positive, upper), ops.mul(ops.sub(1, positive), lower));
  });
}

/** Mean and (biased) variance over one axis, kept as size 1. */
export function moments(x: Tensor, axis = -1): { mean: Tensor; variance: Tensor } {
  const a = axisOf(x, axis, "moments");
  const mean = ops.mean(x, a, true);
  const centered = ops.sub(x, mean);
  return { mean, variance: ops.mean(ops.mul(centered, centered), a, true) };
}

/** Options of `layerNorm`: the axis, the epsilon under the square root, and the gain and bias applied after normalizing. */
export interface LayerNormOptions {
  axis?: number;
  eps?: number;
  /** Scale: a scalar or a vector over the normalized axis. */
  gamma?: Tensor;
  /** Shift: a vector over the normalized axis. */
  beta?: Tensor;
}

/** Layer normalization over `axis` (the last by default): (x - mean) / sqrt(variance + eps), then the gain and bias; traced as a composite. */
export function layerNorm(x: Tensor, options: LayerNormOptions = {}): Tensor {
  requireOptions("layerNorm", "options", options, ["axis", "eps", "gamma", "beta"]);
  const a = axisOf(x, options.axis ?? -1, "layerNorm");
  const eps = requireNonNegative("layerNorm", "options.eps", options.eps ?? 1e-5);
  if (options.gamma !== undefined) requireTensor("layerNorm", options.gamma, "options.gamma");
  if (options.beta !== undefined) requireTensor("layerNorm", options.beta, "options.beta");
  return x.graph.composite("layerNorm", () => {
    // A vector runs along the normalized axis; unless that is the last axis it needs trailing
    // unit axes, or broadcasting would lay it along the last axis instead.
    const alongAxis = (p: Tensor): Tensor => (p.rank === 1 ? ops.reshape(p, [p.size, ...new Array<number>(x.rank - 1 - a).fill(1)]) : p);
    const { mean, variance } = moments(x, a);
    let y = ops.div(ops.sub(x, mean), ops.sqrt(ops.add(variance, eps)));
    if (options.gamma) y = ops.mul(y, alongAxis(options.gamma));
    if (options.beta) y = ops.add(y, alongAxis(options.beta));
    return y;
  });
}

/**
 * Mean cross-entropy between logits and target distributions (one-hot rows for labels), both
 * [..., classes]; computed through logSoftmax so large logits stay finite.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, axis = -1): Tensor {
  requireTensor("crossEntropy", logits, 1);
  requireTensor("crossEntropy", targets, 2);
  if (logits.rank !== targets.rank || logits.shape.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError(
      "crossEntropy",
      `logits ${describe(logits.label, logits.shape)} and targets ${describe(targets.label, targets.shape)} must have the same shape`,
    );
  }
  const a = axisOf(logits, axis, "crossEntropy");
  return logits.graph.composite("crossEntropy", () => {
    const perRow = ops.neg(ops.sum(ops.mul(targets, logSoftmax(logits, a)), a));
    return ops.mean(perRow);
  });
}

/** One-hot rows from a tensor of integer class indices: [...] -> [..., classes]. */
export function oneHot(indices: Tensor, classes: number): Tensor {
  requireTensor("oneHot", indices);
  requireInteger("oneHot", "classes", classes, 1);
  const eye = new Float64Array(classes * classes);
  for (let i = 0; i < classes; i++) eye[i * classes + i] = 1;
  return ops.gather(indices.graph.constant(eye, [classes, classes], indices.dtype), indices, 0);
}
