import {
  type Energy,
  type ParamValues,
  type Step,
  type Tensor,
  Random,
  UnfoldError,
  defineEnergy,
  gradientStep,
  hostTensor,
  layerNorm,
  logsumexp,
  ops,
  requireNonNegative,
  requireOptions,
  requirePositive,
  requireInteger,
} from "@unfold/core";
import { dtypeOption, seedOption } from "../check.js";

/**
 * The Energy Transformer (Hoover et al., 2023), docs/mathematics.md, 'Energy Transformer'. Tokens x [..., n, d] are seen through
 * g = LayerNorm(x) (scalar gain, vector bias: the gradient of a Lagrangian, so its Jacobian is
 * symmetric positive semidefinite and dynamics on dE/dg descend E). Per head h,
 * k_hB = W_K^h g_B and q_hC = W_Q^h g_C, and
 *
 *     E_att = -(1/beta) sum_h sum_C log sum_{B != C} exp(beta k_hB^T q_hC)
 *     E_hn  = -1/2 sum_mu sum_A relu(xi_mu^T g_A)^2
 *
 * Nothing here is a gradient or a backend kernel: the dynamics x <- x - alpha dE/dg come from
 * autodiff alone (energyTransformerStep).
 */
export interface EnergyTransformerConfig {
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  /** Number of Hopfield memories xi_mu. */
  readonly memories: number;
  /** Inverse temperature of the attention energy; 1/sqrt(headDim) by default. */
  readonly beta?: number;
  readonly eps?: number;
}

/** The name of the Energy Transformer's attention term. */
export const ET_ATTENTION_TERM = "attention";
/** The name of the Energy Transformer's Hopfield term. */
export const ET_HOPFIELD_TERM = "hopfield";

/** The Energy Transformer's parameters: per-head W_Q and W_K, the memories xi, the LayerNorm gain and bias. */
export type EnergyTransformerParam = "Wq" | "Wk" | "xi" | "lnGain" | "lnBias";

function checkConfig(op: string, config: EnergyTransformerConfig): number {
  requireOptions(op, "config", config, ["dim", "heads", "headDim", "memories", "beta", "eps"]);
  for (const field of ["dim", "heads", "headDim", "memories"] as const) requireInteger(op, `config.${field}`, config[field], 1);
  if (config.eps !== undefined) requireNonNegative(op, "config.eps", config.eps);
  return requirePositive(op, "config.beta", config.beta ?? 1 / Math.sqrt(config.headDim));
}

/** [..., n, d] -> [..., heads, n, headDim] through per-head weights W [heads, headDim, d]. */
function project(g: Tensor, W: Tensor): Tensor {
  const gh = ops.reshape(g, [...g.shape.slice(0, -2), 1, ...g.shape.slice(-2)]);
  return ops.matmul(gh, ops.transpose(W, [0, 2, 1]));
}

/** The Energy Transformer's energy, E_att + E_hn, as functions of g = LayerNorm(x). */
export function energyTransformerEnergy(config: EnergyTransformerConfig): Energy<EnergyTransformerParam> {
  const beta = checkConfig("energyTransformerEnergy", config);
  const { dim: d, heads, headDim, memories } = config;
  return defineEnergy({
    name: "energy-transformer",
    params: {
      Wq: { shape: [heads, headDim, d] },
      Wk: { shape: [heads, headDim, d] },
      xi: { shape: [memories, d] },
      // A negative gain makes the layer norm the gradient of a concave Lagrangian: no descent.
      lnGain: { shape: [], constraint: "nonNegative" },
      lnBias: { shape: [d] },
    },
    activation: (x, p) => {
      if (x.rank < 2 || x.shape.at(-1) !== d) throw new UnfoldError("energyTransformer", `state must have shape [..., n, ${d}], got [${x.shape.join(", ")}]`);
      return layerNorm(x, { gamma: p.lnGain, beta: p.lnBias, eps: config.eps ?? 1e-5 });
    },
    terms: [
      {
        name: ET_ATTENTION_TERM,
        value: (g, p) => {
          const n = g.shape.at(-2)!;
          if (n < 2) throw new UnfoldError("energyTransformer", `attention needs at least 2 tokens (B != C), got ${n}`);
          const k = project(g, p.Wk);
          const q = project(g, p.Wq);
          // logits[C, B] = beta q_C . k_B, with the B = C entries excluded.
          const mask = new Float64Array(n * n);
          for (let i = 0; i < n; i++) mask[i * n + i] = -Infinity;
          const logits = ops.add(ops.mul(ops.matmul(q, ops.swapLastAxes(k)), beta), g.graph.constant(mask, [n, n], g.dtype));
          return ops.mul(ops.sum(logsumexp(logits, -1)), -1 / beta);
        },
      },
      {
        name: ET_HOPFIELD_TERM,
        value: (g, p) => {
          const h = ops.relu(ops.matmul(g, ops.swapLastAxes(p.xi)));
          return ops.mul(ops.sum(ops.mul(h, h)), -0.5);
        },
      },
    ],
  });
}

/** x <- x - alpha dE/dg: the Energy Transformer's dynamics, from autodiff alone. */
export function energyTransformerStep<N extends string>(energy: Energy<N>, options: { stepSize?: number } = {}): Step<N> {
  requireOptions("energyTransformerStep", "options", options, ["stepSize"]);
  const stepSize = requirePositive("energyTransformerStep", "stepSize", options.stepSize ?? 0.1);
  return gradientStep(energy, { stepSize, through: "activation", name: "et-descent" });
}

/** Seeded random parameters: W_Q, W_K and xi with entries of scale 1/sqrt(d), gain 1, a small bias. */
export function initEnergyTransformerParams(config: EnergyTransformerConfig, options: { seed?: number; dtype?: "float32" | "float64" } = {}): ParamValues<EnergyTransformerParam> {
  const op = "initEnergyTransformerParams";
  checkConfig(op, config);
  requireOptions(op, "options", options, ["seed", "dtype"]);
  const rng = new Random(seedOption(op, options.seed));
  const { dim: d, heads, headDim, memories } = config;
  const dtype = dtypeOption(op, options.dtype);
  const scale = 1 / Math.sqrt(d);
  return {
    Wq: hostTensor(rng.normals(heads * headDim * d, scale), [heads, headDim, d], dtype),
    Wk: hostTensor(rng.normals(heads * headDim * d, scale), [heads, headDim, d], dtype),
    xi: hostTensor(rng.normals(memories * d, scale), [memories, d], dtype),
    lnGain: hostTensor([1], [], dtype),
    lnBias: hostTensor(rng.normals(d, 0.02), [d], dtype),
  };
}
