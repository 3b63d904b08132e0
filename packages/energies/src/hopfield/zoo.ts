import { Random, defineUnfolding, gradientStep, hostTensor } from "@unfold/core";
import type { ZooEntry } from "../zoo/entry.js";
import { hopfieldEnergy, hopfieldStep } from "./energy.js";

const DIM = 8;
const MEMORIES = 6;
const QUERIES = 3;

/**
 * The zoo's Hopfield example: six stored patterns of norm about 1 in 8 dimensions, and three
 * queries, each a stored pattern plus noise (float64, [memories, dim] and [queries, dim]). The
 * Hopfield network entry runs on the same data, so the two traces can be compared.
 */
export function hopfieldExampleData(): { readonly dim: number; readonly memories: number; readonly queries: number; readonly patterns: Float64Array; readonly query: Float64Array } {
  const rng = new Random(18);
  const patterns = rng.normals(MEMORIES * DIM, 1 / Math.sqrt(DIM));
  const noise = rng.normals(QUERIES * DIM, 0.3 / Math.sqrt(DIM));
  return { dim: DIM, memories: MEMORIES, queries: QUERIES, patterns, query: noise.map((v, i) => v + patterns[i]!) };
}

/** The example of hopfieldExampleData; a layer is the CCCP step followed by a half-size autodiff gradient step. */
export const hopfieldZooEntry: ZooEntry = {
  name: "hopfield",
  reference: "Ramsauer et al. 2020, Hopfield Networks is All You Need; Demircigil et al. 2017, On a Model of Associative Memory with Huge Storage Capacity (exponential interaction)",
  guarantee: "every step q <- q + a (X^T softmax(beta X q) - q) with a in (0, 2), the CCCP step (a = 1) and the equal autodiff gradient step, never raises E",
  example(dtype) {
    const { patterns, query: queries } = hopfieldExampleData();
    const energy = hopfieldEnergy({ dim: DIM, memories: MEMORIES, beta: 4 });
    return {
      unfolding: defineUnfolding({
        energy,
        steps: [hopfieldStep(energy), gradientStep(energy, { stepSize: 0.5, name: "gradient" })],
        layers: 4,
        guard: { mode: "throw", watch: "terms" },
      }),
      state: hostTensor(queries, [QUERIES, DIM], dtype),
      params: { X: hostTensor(patterns, [MEMORIES, DIM], dtype) },
    };
  },
};
