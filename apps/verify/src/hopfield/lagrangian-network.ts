import { type HostTensor, type Unfolding, defineUnfolding, toFloat64 } from "@unfold/core";
import { hopfieldNetwork, hopfieldNetworkState, lagrangianStep } from "@unfold/energies";

/**
 * What `unfold hopfield --network` runs: the modern Hopfield energy with its CCCP step, or the
 * same energy as a two-layer Lagrangian network (visible and memory neurons) with the dynamics
 * autodiff derives from it.
 */
export const RETRIEVAL_NETWORKS = ["hopfield", "lagrangian"] as const;
export type RetrievalNetwork = (typeof RETRIEVAL_NETWORKS)[number];

/** Network steps in one layer of the Lagrangian network's unfolding: one moves v, one relaxes h. */
export const NETWORK_STEPS_PER_LAYER = 2;

/** An unfolding that retrieves, its initial state, and how to read the queries back from its final state. */
export interface RetrievalUnfolding {
  readonly unfolding: Unfolding<"X">;
  readonly state: HostTensor;
  queriesOf(final: HostTensor): Float64Array;
}

/**
 * K layers of the two-layer network (hopfieldNetwork) for queries [rows, d] and patterns X [N, d],
 * each layer two lagrangianSteps of size 1, from every row's memory layer at its equilibrium X v.
 *
 * Why size 1: the step moves the memory layer to (1 - a) h + a X v, so a = 1 equilibrates it in
 * one step (the fast layer), and the visible layer to (1 - a) v + a X^T softmax(beta h). From
 * h = X v the first step thus moves only v, to X^T softmax(beta X v), the CCCP step, and the
 * second only h, to the new X v; each sets one layer to the exact minimizer of E with the other
 * held, so E never rises, and each layer ends with h at equilibrium, where E is the Hopfield
 * energy of v. K layers are K CCCP steps: the same states and energies as `--network hopfield`,
 * derived instead by autodiff through the Lagrangians. The guard watches the total energy of
 * every step.
 */
export function lagrangianRetrieval(config: { dim: number; memories: number; beta: number; layers: number }, queries: HostTensor, patterns: HostTensor): RetrievalUnfolding {
  const { dim, memories, beta, layers } = config;
  const network = hopfieldNetwork({ dim, memories, beta });
  const steps = Array.from({ length: NETWORK_STEPS_PER_LAYER }, (_, i) => lagrangianStep(network, { stepSize: 1, name: `network-step-${i + 1}` }));
  return {
    unfolding: defineUnfolding({ energy: network.energy, steps, layers, guard: { mode: "warn", watch: "total" } }),
    state: hopfieldNetworkState(queries, patterns),
    queriesOf: (final) => {
      // The visible layer is the first `dim` units of each row of [rows, dim + memories].
      const data = toFloat64(final);
      const rows = data.length / network.width;
      const out = new Float64Array(rows * dim);
      for (let r = 0; r < rows; r++) out.set(data.subarray(r * network.width, r * network.width + dim), r * dim);
      return out;
    },
  };
}
