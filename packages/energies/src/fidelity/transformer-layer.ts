import { Random, defineUnfolding, interpret, relativeError, unfoldedProgram } from "@unfold/core";
import { standardTransformerLayer } from "../reference/standard-layer.js";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "../yang/model.js";
import { equalMetricNorms, metricFromWa } from "./setup.js";

/**
 * One unfolded Yang layer (the attention term's MM step, damped, then the ReLU projected-gradient
 * step on the feed-forward term, derived by autodiff) against a standard Transformer layer written
 * with plain loops (softmax(Y W_s Y^T) Y with the residual, the symmetric feed-forward map, ReLU),
 * on tokens of equal W_s-norm where the two must agree exactly. Returns the relative error.
 */
export function transformerLayerError(options: {
  seed: number;
  n: number;
  d: number;
  attentionStepSize?: number;
  radius?: number;
  feedForwardGradient?: "closedForm" | "autodiff";
}): number {
  const { n, d } = options;
  const attentionStepSize = options.attentionStepSize ?? 0.7;
  const rng = new Random(options.seed);
  const params = initYangParams({ dim: d }, { seed: options.seed + 1 });
  const Ws = metricFromWa(params["Wa"]!.data, d, d);
  const Y = equalMetricNorms(rng.normals(n * d), n, d, Ws, options.radius ?? 1.5);
  const feedForwardStepSize = safeFeedForwardStepSize(params, d);
  const energy = yangEnergy({ dim: d });
  const steps = yangLayerSteps(energy, { attentionStepSize, feedForwardStepSize, feedForwardGradient: options.feedForwardGradient ?? "autodiff" });
  const unfolding = defineUnfolding({ energy, steps, layers: 1 });
  const program = unfoldedProgram(unfolding, [n, d], "float64");
  const feeds = new Map<string, Float64Array>([["state", Y]]);
  for (const [name, t] of Object.entries(params)) feeds.set(name, Float64Array.from(t.data));
  const unfolded = interpret(program, feeds).get("state")!;
  const standard = standardTransformerLayer(Y, n, d, {
    Ws,
    Wf: Float64Array.from(params["Wf"]!.data),
    b: Float64Array.from(params["b"]!.data),
    attentionStepSize,
    feedForwardStepSize,
  });
  return relativeError(unfolded, standard);
}
