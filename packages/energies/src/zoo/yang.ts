import { type DType, Random, defineUnfolding, hostTensor } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "../yang/model.js";
import type { ZooEntry } from "./entry.js";

const [BATCH, TOKENS, DIM, LAYERS] = [3, 6, 8, 3];

/**
 * Three untied layers of the Yang et al. unfolding (one head): the damped attention MM step (the
 * residual form, step 1/2), then the ReLU projected-gradient step on the feed-forward term.
 * Tokens start non-negative, inside the feed-forward step's projection set.
 */
export const yangZooEntry: ZooEntry = {
  name: "yang",
  reference: "Yang, Huang and Wipf, \"Transformers from an Optimization Perspective\" (NeurIPS 2022)",
  guarantee:
    "the attention step is a majorize-minimize step of E_att for any damping in (0, 2), and the ReLU step lowers E_ff below the step bound 2/L; " +
    "each step lowers its own term (the total is measured, not promised)",
  example(dtype: DType) {
    const energy = yangEnergy({ dim: DIM });
    // Drawn in float64 and rounded once, so every dtype gets the same values and the same step size.
    const exact = Array.from({ length: LAYERS }, (_, l) => initYangParams({ dim: DIM }, { seed: 11 + l }));
    const feedForwardStepSize = Math.min(...exact.map((p) => safeFeedForwardStepSize(p, DIM)));
    const steps = yangLayerSteps(energy, { attentionStepSize: 0.5, feedForwardStepSize });
    const rng = new Random(7);
    const tokens = Float64Array.from({ length: BATCH * TOKENS * DIM }, () => Math.abs(rng.normal()));
    return {
      unfolding: defineUnfolding({ energy, steps, layers: LAYERS, tiedWeights: false }),
      state: hostTensor(tokens, [BATCH, TOKENS, DIM], dtype),
      params: exact.map((set) => Object.fromEntries(Object.entries(set).map(([name, t]) => [name, hostTensor(t.data, t.shape, dtype)]))),
    };
  },
};
