import { type HostTensor, ShapeError, UnfoldError, describeValue, formatShape, hostTensor, requireInteger, requireOptions, requirePositive } from "@unfold/core";
import type { HopfieldConfig } from "../hopfield/energy.js";
import { identityLagrangian, softmaxLagrangian } from "./lagrangians.js";
import { type LagrangianNetwork, lagrangianNetwork } from "./network.js";
import { denseSynapse } from "./synapses.js";

/** hopfieldNetwork's visible layer: the query v, d units with the identity Lagrangian. */
export const HOPFIELD_VISIBLE_LAYER = "visible";
/** hopfieldNetwork's memory layer: N units, one per stored pattern, with the softmax Lagrangian. */
export const HOPFIELD_MEMORY_LAYER = "memories";

/**
 * The modern Hopfield energy (hopfieldEnergy) as a two-layer Lagrangian network, with the same
 * config and the same parameter X [N, d], so one parameter set feeds both: a visible layer v of d
 * units with the identity Lagrangian (g = v), a memory layer h of N units with the softmax
 * Lagrangian (s = softmax(beta h)), and one dense synapse -s^T X v. Its energy, the neuron terms
 * 1/2 ||v||^2 and beta^-1 sum s log s plus the synapse, is
 *
 *     E(v, h) = 1/2 ||v||^2 + beta^-1 sum_mu s_mu log s_mu - s^T X v.
 *
 * At the memory layer's equilibrium h = X v, E(v, X v) is the Hopfield energy of v (the Gibbs
 * principle: beta^-1 logsumexp(beta z) = max over the simplex of s^T z - beta^-1 sum s log s,
 * attained at s = softmax(beta z)), and dE/dg_v = v - X^T softmax(beta X v) is its gradient, so a
 * lagrangianStep of size a moves v exactly as hopfieldStep of size a does and leaves h = X v.
 *
 * The dynamics: dE/dg_h = h - X v and dE/dg_v = v - X^T s, so a step of size a moves h to
 * (1 - a) h + a X v (at a = 1 the memory layer equilibrates in one step) and v to
 * (1 - a) v + a X^T s. At a = 1 the step therefore sets each layer to its exact minimizer with
 * the other held (E is convex in v given s, and minimized over h at X v); from a state with
 * h = X v (hopfieldNetworkState) it moves only v, to X^T softmax(beta X v), the CCCP step, and
 * the next step moves only h, to X v: two steps are one CCCP step, each step a block
 * minimization, so E never rises. From an arbitrary (v, h), a = 1 moves both layers at once and
 * carries no such guarantee; small steps descend there as lagrangianStep says.
 */
export function hopfieldNetwork(config: HopfieldConfig): LagrangianNetwork<"X"> {
  const op = "hopfieldNetwork";
  requireOptions(op, "config", config, ["dim", "memories", "beta"]);
  return lagrangianNetwork({
    name: "hopfield-network",
    layers: {
      [HOPFIELD_VISIBLE_LAYER]: { width: requireInteger(op, "config.dim", config.dim, 1), lagrangian: identityLagrangian() },
      [HOPFIELD_MEMORY_LAYER]: {
        width: requireInteger(op, "config.memories", config.memories, 1),
        lagrangian: softmaxLagrangian({ beta: requirePositive(op, "config.beta", config.beta ?? 1) }),
      },
    },
    synapses: [denseSynapse({ name: "memory", from: HOPFIELD_MEMORY_LAYER, to: HOPFIELD_VISIBLE_LAYER, weight: "X" })],
  });
}

/**
 * The network state [..., d + N] for queries v [..., d] and patterns X [N, d]: each row [v, X v],
 * the memory layer at its equilibrium for the query (computed in float64, returned in the
 * queries' dtype). Starting elsewhere, h = 0 say, the first step would replace every query by the
 * mean of the patterns.
 */
export function hopfieldNetworkState(queries: HostTensor, patterns: HostTensor): HostTensor {
  const op = "hopfieldNetworkState";
  for (const [what, t] of [["queries", queries], ["patterns", patterns]] as const) {
    if (typeof t !== "object" || t === null || !Array.isArray(t.shape) || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new UnfoldError(op, `${what} must be a host tensor (hostTensor), got ${describeValue(t)}`);
    }
  }
  const { shape, dtype } = queries;
  if (patterns.shape.length !== 2 || shape.length < 1 || shape.at(-1) !== patterns.shape[1]) {
    throw new ShapeError(op, `needs queries [..., d] and patterns [N, d], got queries ${formatShape(shape)} and patterns ${formatShape(patterns.shape)}`);
  }
  const [n, d] = patterns.shape as [number, number];
  const rows = queries.data.length / d;
  const out = new Float64Array(rows * (d + n));
  for (let r = 0; r < rows; r++) {
    const v = queries.data.subarray(r * d, (r + 1) * d);
    const at = r * (d + n);
    out.set(v, at);
    for (let mu = 0; mu < n; mu++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += patterns.data[mu * d + k]! * v[k]!;
      out[at + d + mu] = dot;
    }
  }
  return hostTensor(out, [...shape.slice(0, -1), d + n], dtype);
}
