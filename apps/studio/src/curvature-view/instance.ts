// The self-attention problem the curvature view studies: the first sequence of the chosen scene's
// tokens as X, rescaled to entries of standard deviation sigma (the data scale), under one
// seeded single head (W_Q, W_K, W_V of std 1/sqrt(d)) with an MSE target, as @unfold/hessian's
// random instances draw them. Only X comes from the scene, so the scale alone moves the curvature.
import type { HostTensor } from "@unfold/core";
import { toFloat64 } from "@unfold/core";
import { type AttentionInstance, randomAttentionInstance, rescaleToStd } from "@unfold/hessian";

/** The seed of the head's weights and target: fixed, so Node rebuilds the page's instance exactly. */
export const CURVATURE_SEED = 7;

/** The first sequence of a state [..., n, d] (leading axes flattened): n tokens of width d, row-major. */
export function firstSequence(state: HostTensor, scene: string): { readonly tokens: number; readonly width: number; readonly values: Float64Array } {
  const shape = state.shape;
  if (shape.length < 2) throw new Error(`curvature: the tokens of '${scene}' have shape [${shape.join(", ")}]; a sequence needs [..., tokens, width]`);
  const tokens = shape[shape.length - 2]!;
  const width = shape[shape.length - 1]!;
  return { tokens, width, values: toFloat64(state).slice(0, tokens * width) };
}

/** The scene's first sequence at data scale `sigma` under the seeded head; throws, naming the scene, where the tokens are all equal. */
export function sceneAttentionInstance(state: HostTensor, scene: string, sigma: number): AttentionInstance {
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new Error(`curvature: the data scale must be a positive number, got ${sigma}`);
  const { tokens, width, values } = firstSequence(state, scene);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.every((v) => v === mean)) throw new Error(`curvature: the first sequence of '${scene}' ([${tokens}, ${width}]) has every entry ${mean}, so it has no scale to rescale to ${sigma}`);
  const head = randomAttentionInstance({ tokens, model: width, key: width, loss: "mse", seed: CURVATURE_SEED });
  return { ...head, X: { rows: tokens, cols: width, data: rescaleToStd(values, sigma) } };
}
