import { Random, defineUnfolding, hostTensor } from "@unfold/core";
import type { ZooEntry } from "../zoo/entry.js";
import { hopfieldNetwork, hopfieldNetworkState } from "./hopfield-network.js";
import { lagrangianStep } from "./step.js";

const DIM = 8;
const MEMORIES = 6;
const QUERIES = 3;

/**
 * The modern Hopfield network as a two-layer Lagrangian network, on the Hopfield entry's patterns
 * and queries: each row [v, X v] starts with the memory layer at equilibrium, and a layer is two
 * lagrangianSteps of size 1 (one CCCP step), so its trace must match the Hopfield energy's.
 */
export const hopfieldNetworkZooEntry: ZooEntry = {
  name: "hopfield-network",
  reference: "Krotov and Hopfield 2021, Large Associative Memory Problem in Neurobiology and Machine Learning; Hoover et al., HAMUX",
  guarantee: "from the memory layer at equilibrium, each lagrangianStep of size 1 minimizes E over one layer with the other held, so E never rises",
  example(dtype) {
    const rng = new Random(18);
    const patterns = rng.normals(MEMORIES * DIM, 1 / Math.sqrt(DIM));
    const noise = rng.normals(QUERIES * DIM, 0.3 / Math.sqrt(DIM));
    const queries = hostTensor(noise.map((v, i) => v + patterns[i]!), [QUERIES, DIM], "float64");
    const X = hostTensor(patterns, [MEMORIES, DIM], "float64");
    const network = hopfieldNetwork({ dim: DIM, memories: MEMORIES, beta: 4 });
    const state = hopfieldNetworkState(queries, X);
    return {
      unfolding: defineUnfolding({
        energy: network.energy,
        steps: [lagrangianStep(network, { stepSize: 1, name: "visible" }), lagrangianStep(network, { stepSize: 1, name: "memories" })],
        layers: 3,
        guard: { mode: "throw", watch: "total" },
      }),
      state: hostTensor(state.data, state.shape, dtype),
      params: { X: hostTensor(patterns, [MEMORIES, DIM], dtype) },
    };
  },
};
