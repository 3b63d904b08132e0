import { type Step, type Tensor, UnfoldError, ops, projectionStep, requireOneOf, requireOptions, requirePositive } from "@unfold/core";
import { attentionMetric } from "./attention.js";

/**
 * Projects every token onto the sphere of radius r in the W_s metric of attention head 0,
 * y_i <- r y_i / sqrt(y_i^T W_s y_i). With equal W_s-norms, beta_j is the same for every token and
 * softmax_beta attention is ordinary softmax attention exactly (docs/mathematics.md, 'Yang attention energy'): this is what token
 * normalization buys. With `metric: 'euclidean'` the plain norm is used.
 */
export function normalizeTokens(Y: Tensor, options: { radius?: number; Wa?: Tensor } = {}): Tensor {
  requireOptions("normalizeTokens", "options", options, ["radius", "Wa"]);
  const radius = options.radius ?? 1;
  if (typeof radius !== "number" || !(radius > 0)) throw new UnfoldError("normalizeTokens", `radius must be positive, got ${String(radius)}`);
  const d = Y.shape.at(-1)!;
  // Head 0's metric: a single-head model is the case where normalization makes attention exact.
  const metricOf = (Wa: Tensor): Tensor => ops.reshape(ops.slice(attentionMetric(Wa), [0, 0, 0], [1, d, d]), [d, d]);
  const weighted = options.Wa ? ops.matmul(Y, metricOf(options.Wa)) : Y;
  const squared = ops.sum(ops.mul(weighted, Y), -1, true);
  return ops.mul(Y, ops.div(radius, ops.sqrt(squared)));
}

/** normalizeTokens as a projection step: every token onto the sphere, in the Euclidean or attention metric. */
export function tokenNormalizationStep(options: { radius?: number; metric?: "attention" | "euclidean" } = {}): Step {
  const op = "tokenNormalizationStep";
  requireOptions(op, "options", options, ["radius", "metric"]);
  const metric = options.metric === undefined ? "euclidean" : requireOneOf(op, "options.metric", options.metric, ["attention", "euclidean"]);
  if (options.radius !== undefined) requirePositive(op, "options.radius", options.radius);
  return projectionStep(`normalize(${metric})`, (Y, p) => {
    // `in`, not a read: an unfolding guards its parameters, and reading an undeclared one throws.
    if (metric === "attention" && !("Wa" in p)) throw new UnfoldError("tokenNormalizationStep", "metric 'attention' needs parameter 'Wa'");
    return normalizeTokens(Y, { ...(options.radius !== undefined ? { radius: options.radius } : {}), ...(metric === "attention" ? { Wa: p["Wa"] } : {}) });
  });
}
