import { type Step, type Tensor, UnfoldError, ops, projectionStep } from "@unfold/core";
import { attentionMetric } from "./attention.js";

/**
 * Projects every token onto the sphere of radius r in the W_s metric of attention head 0,
 * y_i <- r y_i / sqrt(y_i^T W_s y_i). With equal W_s-norms, beta_j is the same for every token and
 * softmax_beta attention is ordinary softmax attention exactly (MATH.md 1.1): this is what token
 * normalization buys. With `metric: 'euclidean'` the plain norm is used.
 */
export function normalizeTokens(Y: Tensor, options: { radius?: number; Wa?: Tensor } = {}): Tensor {
  const radius = options.radius ?? 1;
  if (!(radius > 0)) throw new UnfoldError("normalizeTokens", `radius must be positive, got ${radius}`);
  const d = Y.shape.at(-1)!;
  // Head 0's metric: a single-head model is the case where normalization makes attention exact.
  const metricOf = (Wa: Tensor): Tensor => ops.reshape(ops.slice(attentionMetric(Wa), [0, 0, 0], [1, d, d]), [d, d]);
  const weighted = options.Wa ? ops.matmul(Y, metricOf(options.Wa)) : Y;
  const squared = ops.sum(ops.mul(weighted, Y), -1, true);
  return ops.mul(Y, ops.div(radius, ops.sqrt(squared)));
}

export function tokenNormalizationStep(options: { radius?: number; metric?: "attention" | "euclidean" } = {}): Step {
  const metric = options.metric ?? "euclidean";
  return projectionStep(`normalize(${metric})`, (Y, p) => {
    if (metric === "attention" && !p["Wa"]) throw new UnfoldError("tokenNormalizationStep", "metric 'attention' needs parameter 'Wa'");
    return normalizeTokens(Y, { ...(options.radius !== undefined ? { radius: options.radius } : {}), ...(metric === "attention" ? { Wa: p["Wa"]! } : {}) });
  });
}
