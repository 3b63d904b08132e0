import { UnfoldError, crossEntropy, ops } from "@unfold/core";
import type { CurvatureModel } from "../curvature/model.js";

/** A deep linear MLP: its width, classes, batch and depth. */
export interface DeepLinearConfig {
  readonly dModel: number;
  readonly classes: number;
  readonly batch: number;
  /** Weight matrices W.0 .. W.{depth-1}; the last maps to the classes. */
  readonly depth: number;
}

/**
 * The comparison the paper draws: a deep linear MLP, logits = X W.0 W.1 ... W.{depth-1}, with
 * cross-entropy. Its output is linear in each weight, so each diagonal block is pure
 * Gauss-Newton and grows as sigma^2 at any depth. Inputs: X [B, d], targets [B, classes].
 */
export function deepLinearModel(config: DeepLinearConfig): CurvatureModel {
  const { dModel: d, classes, batch: B, depth } = config;
  if (!Number.isInteger(depth) || depth < 1) throw new UnfoldError("deepLinearModel", `depth must be an integer >= 1, got ${depth}`);
  const params = Array.from({ length: depth }, (_, l) => ({ name: `W.${l}`, shape: [d, l === depth - 1 ? classes : d] }));
  return {
    name: `deep linear MLP (depth ${depth})`,
    params,
    inputs: { X: [B, d], targets: [B, classes] },
    output: (p, x) => params.reduce((h, { name }) => ops.matmul(h, p[name]!), x["X"]!),
    loss: (logits, x) => crossEntropy(logits, x["targets"]!),
  };
}
