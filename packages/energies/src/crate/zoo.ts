import { type DType, Random, defineUnfolding, hostTensor } from "@unfold/core";
import type { ZooEntry } from "../zoo/entry.js";
import { istaStepBound, crateStepBound } from "./bounds.js";
import { crateEnergy, crateProximalStep } from "./energy.js";
import { initCrateParams, orthonormalColumns } from "./init.js";
import { istaStep, sparseCodingEnergy } from "./ista.js";

const REFERENCE = "Yu et al., White-Box Transformers via Sparse Rate Reduction (NeurIPS 2023)";
const [BATCH, TOKENS, DIM] = [3, 6, 8] as const;

/** Non-negative tokens: the proximal steps' guarantee starts inside Z >= 0. */
const tokens = (seed: number, count: number): Float64Array => new Random(seed).normals(count).map(Math.abs);

/** The compression term's exact gradient and the sparsity prox, at the step size 1 / L of crateStepBound. */
export const crateZoo: ZooEntry = {
  name: "crate",
  reference: REFERENCE,
  guarantee:
    "the proximal gradient step on the surrogate R^c(Z; U) + lambda ||Z||_1 over Z >= 0 (sparse rate reduction without its expansion term R(Z), l0 relaxed to l1), of size 1 / L with L = c lambda_max(sum_k U_k U_k^T) (any size below 2 / L descends), never raises that surrogate",
  example(dtype: DType) {
    const config = { dim: DIM, heads: 2, headDim: 4, lambda: 0.1 };
    const energy = crateEnergy(config);
    const params = initCrateParams(config, { seed: 7, dtype });
    const unfolding = defineUnfolding({
      energy,
      steps: [crateProximalStep(energy, { stepSize: crateStepBound(config, TOKENS, params.U) })],
      layers: 6,
      tiedWeights: true,
      guard: { mode: "throw", watch: "total" },
    });
    return { unfolding, state: hostTensor(tokens(8, BATCH * TOKENS * DIM), [BATCH, TOKENS, DIM], dtype), params };
  },
};

/** CRATE's ISTA block iterated on one set of tokens X from several non-negative starting codes. */
export const crateIstaZoo: ZooEntry = {
  name: "crate-ista",
  reference: REFERENCE,
  guarantee: "the ISTA step of size 1 / ||D||_2^2 (any size below 2 / ||D||_2^2 descends) never raises 1/2 ||X - Z D^T||^2 + lambda ||Z||_1 over Z >= 0",
  example(dtype: DType) {
    const energy = sparseCodingEnergy({ dim: DIM, tokens: TOKENS, lambda: 0.1 });
    const rng = new Random(9);
    // A near-orthogonal dictionary, as CRATE's incoherent D: orthonormal plus a small perturbation.
    const D = hostTensor(orthonormalColumns(rng, DIM, DIM).map((v) => v + 0.1 * rng.normal()), [DIM, DIM], dtype);
    const params = { D, X: hostTensor(tokens(10, TOKENS * DIM), [TOKENS, DIM], dtype) };
    const unfolding = defineUnfolding({
      energy,
      steps: [istaStep(energy, { stepSize: istaStepBound(D) })],
      layers: 8,
      tiedWeights: true,
      guard: { mode: "throw", watch: "total" },
    });
    return { unfolding, state: hostTensor(tokens(11, BATCH * TOKENS * DIM), [BATCH, TOKENS, DIM], dtype), params };
  },
};
