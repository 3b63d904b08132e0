import { type DType, Random, defineUnfolding, hostTensor } from "@unfold/core";
import { energyTransformerEnergy, energyTransformerStep, initEnergyTransformerParams } from "../energy-transformer/energy.js";
import type { ZooEntry } from "./entry.js";

const CONFIG = { dim: 8, heads: 2, headDim: 4, memories: 6 };
const [BATCH, TOKENS, LAYERS] = [2, 5, 4];

/**
 * Four tied descent steps of the Energy Transformer (2 heads, 6 memories): x <- x - alpha dE/dg
 * from autodiff through the layer norm, as the trainer's model runs it.
 */
export const energyTransformerZooEntry: ZooEntry = {
  name: "energy-transformer",
  reference: "Hoover et al., \"Energy Transformer\" (NeurIPS 2023)",
  guarantee:
    "g = LayerNorm(x) is the gradient of a convex Lagrangian, so dx/dt = -dE/dg lowers E in continuous time; " +
    "a step of size 0.1 lowers the total energy on the example (measured, not bounded)",
  example(dtype: DType) {
    const energy = energyTransformerEnergy(CONFIG);
    const params = initEnergyTransformerParams(CONFIG, { seed: 5, dtype });
    const rng = new Random(9);
    return {
      unfolding: defineUnfolding({ energy, steps: [energyTransformerStep(energy, { stepSize: 0.1 })], layers: LAYERS }),
      state: hostTensor(rng.normals(BATCH * TOKENS * CONFIG.dim), [BATCH, TOKENS, CONFIG.dim], dtype),
      params,
    };
  },
};
