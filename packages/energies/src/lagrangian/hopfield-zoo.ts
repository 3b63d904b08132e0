import { defineUnfolding, hostTensor } from "@unfold/core";
import { hopfieldExampleData } from "../hopfield/zoo.js";
import type { ZooEntry } from "../zoo/entry.js";
import { hopfieldNetwork, hopfieldNetworkState } from "./hopfield-network.js";
import { lagrangianStep } from "./step.js";

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
    const { dim, memories, queries: count, patterns, query } = hopfieldExampleData();
    const queries = hostTensor(query, [count, dim], "float64");
    const X = hostTensor(patterns, [memories, dim], "float64");
    const network = hopfieldNetwork({ dim, memories, beta: 4 });
    const state = hopfieldNetworkState(queries, X);
    return {
      unfolding: defineUnfolding({
        energy: network.energy,
        steps: [lagrangianStep(network, { stepSize: 1, name: "visible" }), lagrangianStep(network, { stepSize: 1, name: "memories" })],
        layers: 3,
        guard: { mode: "throw", watch: "total" },
      }),
      state: hostTensor(state.data, state.shape, dtype),
      params: { X: hostTensor(patterns, [memories, dim], dtype) },
    };
  },
};
