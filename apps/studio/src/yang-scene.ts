// The Yang et al. unfolding on tokens a scene brings (points, MNIST patches): one head, the damped
// attention MM step then the ReLU feed-forward step, with seeded parameters that can be tied or
// drawn afresh for each layer. Pure (no DOM).
import { type DType, type HostTensor, type ParamValues, defineUnfolding, hostTensor } from "@unfold/core";
import { initYangParams, yangEnergy, yangLayerSteps } from "@unfold/energies";
import type { SceneInstance } from "./scenes.js";

/** W_f's spectrum is clipped into [-SPECTRUM, SPECTRUM] in every set drawn. */
const SPECTRUM = 0.95;
/**
 * Half the feed-forward step bound 2 / (1 + lambda_max(W_f)) of the worst set initYangParams can
 * draw (lambda_max = SPECTRUM): below every layer's bound, whichever sets the layers get.
 */
export const YANG_FEED_FORWARD_STEP = 1 / (1 + SPECTRUM);
/** The attention MM step's own damping: the residual form, half a step. */
export const YANG_DAMPING = 0.5;
/** Seeds of successive layers' sets are this far apart. */
const LAYER_SEED_STRIDE = 1000;

/** Where the tokens come from and which seed draws the parameters. */
export interface YangSceneSpec {
  /** The token width d. */
  readonly dim: number;
  /** Tokens as float64, shape [batch, n, dim]. */
  readonly tokens: Float64Array;
  readonly shape: readonly [number, number, number];
  readonly layers: number;
  /** Layer 0's set is drawn from this seed, layer l's from seed + 1000 l. */
  readonly seed: number;
}

/** The instance in `dtype`: values drawn in float64 and rounded once, so every dtype (and Node) gets the same. */
export function yangSceneInstance(spec: YangSceneSpec, dtype: DType): SceneInstance {
  const { dim, tokens, shape, layers, seed } = spec;
  const energy = yangEnergy({ dim });
  const steps = yangLayerSteps(energy, { attentionStepSize: YANG_DAMPING, feedForwardStepSize: YANG_FEED_FORWARD_STEP });
  const drawn = new Map<number, ParamValues>();
  const layerParams = (layer: number): ParamValues => {
    if (!(Number.isInteger(layer) && layer >= 0)) throw new Error(`layer ${layer} is not a layer index (a non-negative integer)`);
    let set = drawn.get(layer);
    if (!set) {
      const exact = initYangParams({ dim }, { seed: seed + LAYER_SEED_STRIDE * layer, spectrum: SPECTRUM });
      set = Object.fromEntries(Object.entries(exact).map(([name, t]): [string, HostTensor] => [name, hostTensor(t.data, t.shape, dtype)]));
      drawn.set(layer, set);
    }
    return set;
  };
  return {
    unfolding: defineUnfolding({ energy, steps, layers }),
    state: hostTensor(tokens, [...shape], dtype),
    params: [layerParams(0)],
    layerParams,
  };
}
