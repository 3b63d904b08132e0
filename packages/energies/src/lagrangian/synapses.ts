import {
  type ParamSpecs,
  type Params,
  type Tensor,
  UnfoldError,
  logsumexp,
  ops,
  requireInteger,
  requireName,
  requireOptions,
  requirePositive,
} from "@unfold/core";
import { paramSpecs } from "./param-specs.js";

/**
 * A synapse: an energy of the activations of one or more neuron layers, a scalar summed over the
 * leading axes. It sees activations only (never states), so the network's dynamics on dE/dg
 * reach it through each layer's activation Jacobian.
 */
export interface Synapse<N extends string = string> {
  /** The synapse's name: its term's name in the network's energy. */
  readonly name: string;
  /** The layers whose activations it reads, in the order `value` takes them. */
  readonly layers: readonly string[];
  /** The parameters it reads (their names are N), declared for layers of these widths (in the order of `layers`). */
  readonly params?: (widths: readonly number[]) => ParamSpecs<N>;
  /** The synapse's energy at the activations of its layers (in the order of `layers`): a scalar. */
  value(activations: readonly Tensor[], params: Params<N>): Tensor;
}

/** E = -sum_rows g_from^T W g_to, with W [width(from), width(to)]: a dense (all-to-all) synapse. */
export function denseSynapse<const W extends string>(options: { name: string; from: string; to: string; weight: W }): Synapse<W> {
  const op = "denseSynapse";
  requireOptions(op, "options", options, ["name", "from", "to", "weight"]);
  const [name, from, to] = (["name", "from", "to"] as const).map((f) => requireName(op, `options.${f}`, options[f]));
  const weight = requireName(op, "options.weight", options.weight) as W;
  return {
    name: name!,
    layers: [from!, to!],
    params: ([a, b]) => paramSpecs([weight, { shape: [a!, b!] }]),
    value: ([ga, gb], p) => ops.neg(ops.sum(ops.mul(ga!, ops.matmul(gb!, ops.swapLastAxes(p[weight]))))),
  };
}

/** What attentionSynapse takes: the layer it reads, the heads, and the names of its weights. */
export interface AttentionSynapseOptions<Q extends string = string, K extends string = string> {
  readonly name: string;
  /** The token layer: activations [..., n, width]. */
  readonly layer: string;
  readonly heads: number;
  readonly headDim: number;
  /** Names of the query and key weights, each [heads, headDim, width]. */
  readonly query: Q;
  readonly key: K;
  /** Inverse temperature; 1/sqrt(headDim) by default. */
  readonly beta?: number;
}

/** [..., n, width] -> [..., heads, n, headDim] through per-head weights W [heads, headDim, width]. */
function perHead(g: Tensor, W: Tensor): Tensor {
  const gh = ops.reshape(g, [...g.shape.slice(0, -2), 1, ...g.shape.slice(-2)]);
  return ops.matmul(gh, ops.transpose(W, [0, 2, 1]));
}

/**
 * The Energy Transformer's attention energy, with k_hB = W_K^h g_B and q_hC = W_Q^h g_C:
 *     E = -(1/beta) sum_h sum_C log sum_{B != C} exp(beta k_hB^T q_hC).
 */
export function attentionSynapse<const Q extends string, const K extends string>(options: AttentionSynapseOptions<Q, K>): Synapse<Q | K> {
  const op = "attentionSynapse";
  requireOptions(op, "options", options, ["name", "layer", "heads", "headDim", "query", "key", "beta"]);
  const [name, layer] = (["name", "layer"] as const).map((f) => requireName(op, `options.${f}`, options[f]));
  const query = requireName(op, "options.query", options.query) as Q;
  const key = requireName(op, "options.key", options.key) as K;
  const heads = requireInteger(op, "options.heads", options.heads, 1);
  const headDim = requireInteger(op, "options.headDim", options.headDim, 1);
  const beta = requirePositive(op, "options.beta", options.beta ?? 1 / Math.sqrt(headDim));
  return {
    name: name!,
    layers: [layer!],
    params: ([width]) => paramSpecs<Q | K>([query, { shape: [heads, headDim, width!] }], [key, { shape: [heads, headDim, width!] }]),
    value: ([g], p) => {
      const n = g!.rank < 2 ? 0 : g!.shape.at(-2)!;
      if (n < 2) throw new UnfoldError(op, `synapse '${name}' needs layer '${layer}' to hold at least 2 tokens [..., n, width] (B != C), got [${g!.shape.join(", ")}]`);
      const k = perHead(g!, p[key]);
      const q = perHead(g!, p[query]);
      // logits[C, B] = beta q_C . k_B, with the B = C entries excluded.
      const mask = new Float64Array(n * n);
      for (let i = 0; i < n; i++) mask[i * n + i] = -Infinity;
      const logits = ops.add(ops.mul(ops.matmul(q, ops.swapLastAxes(k)), beta), g!.graph.constant(mask, [n, n], g!.dtype));
      return ops.mul(ops.sum(logsumexp(logits, -1)), -1 / beta);
    },
  };
}

/** E = -1/2 sum_mu sum_rows relu(xi_mu^T g)^2, memories xi [memories, width]: the Energy Transformer's Hopfield energy. */
export function hopfieldSynapse<const W extends string>(options: { name: string; layer: string; memories: number; weight: W }): Synapse<W> {
  const op = "hopfieldSynapse";
  requireOptions(op, "options", options, ["name", "layer", "memories", "weight"]);
  const [name, layer] = (["name", "layer"] as const).map((f) => requireName(op, `options.${f}`, options[f]));
  const weight = requireName(op, "options.weight", options.weight) as W;
  const memories = requireInteger(op, "options.memories", options.memories, 1);
  return {
    name: name!,
    layers: [layer!],
    params: ([width]) => paramSpecs([weight, { shape: [memories, width!] }]),
    value: ([g], p) => {
      const h = ops.relu(ops.matmul(g!, ops.swapLastAxes(p[weight])));
      return ops.mul(ops.sum(ops.mul(h, h)), -0.5);
    },
  };
}
