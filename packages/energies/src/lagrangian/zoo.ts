import { type DType, Random, defineUnfolding, hostTensor } from "@unfold/core";
import type { ZooEntry } from "../zoo/entry.js";
import { reluLagrangian, softmaxLagrangian, tanhLagrangian } from "./lagrangians.js";
import { lagrangianNetwork } from "./network.js";
import { lagrangianStep } from "./step.js";
import { denseSynapse } from "./synapses.js";

const WIDTHS = { input: 6, hidden: 8, label: 4 } as const;

/**
 * A three-layer network, tanh input <-> ReLU hidden <-> softmax label, joined by two dense
 * synapses: the smallest network where every layer talks to the next through a different
 * activation. Twelve tied steps of 0.1 on a batch of 3.
 */
export const lagrangianZooEntry: ZooEntry = {
  name: "lagrangian",
  reference: "Hoover et al., \"A Universal Abstraction for Hierarchical Hopfield Networks\" (HAMUX, 2022); Krotov and Hopfield, \"Large Associative Memory Problem in Neurobiology and Machine Learning\" (2021)",
  guarantee:
    "With convex Lagrangians (layer norm: gain >= 0) the step x_l <- x_l - alpha dE/dg_l lowers E to first order by alpha sum_l (dE/dg_l)^T H_l (dE/dg_l) >= 0 (H_l, the activation's Jacobian, is positive semidefinite), strictly wherever dE/dx != 0, so small enough steps never raise the total energy.",
  example(dtype: DType) {
    const network = lagrangianNetwork({
      name: "lagrangian-3-layer",
      layers: {
        input: { width: WIDTHS.input, lagrangian: tanhLagrangian() },
        hidden: { width: WIDTHS.hidden, lagrangian: reluLagrangian() },
        label: { width: WIDTHS.label, lagrangian: softmaxLagrangian({ beta: 2 }) },
      },
      synapses: [
        denseSynapse({ name: "input-hidden", from: "input", to: "hidden", weight: "W1" }),
        denseSynapse({ name: "hidden-label", from: "hidden", to: "label", weight: "W2" }),
      ],
    });
    const rng = new Random(18);
    const batch = 3;
    const weight = (rows: number, cols: number) => hostTensor(rng.normals(rows * cols, 1 / Math.sqrt(rows)), [rows, cols], dtype);
    const params = { W1: weight(WIDTHS.input, WIDTHS.hidden), W2: weight(WIDTHS.hidden, WIDTHS.label) };
    const state = hostTensor(rng.normals(batch * network.width, 1), [batch, network.width], dtype);
    const unfolding = defineUnfolding({
      energy: network.energy,
      steps: [lagrangianStep(network, { stepSize: 0.1 })],
      layers: 12,
      tiedWeights: true,
      guard: { mode: "throw", watch: "total" },
    });
    return { unfolding, state, params };
  },
};
