import { requireOptions } from "@unfold/core";
import { ET_ATTENTION_TERM, ET_HOPFIELD_TERM, type EnergyTransformerConfig, type EnergyTransformerParam } from "../energy-transformer/energy.js";
import { layerNormLagrangian } from "./lagrangians.js";
import { type LagrangianNetwork, lagrangianNetwork } from "./network.js";
import { attentionSynapse, hopfieldSynapse } from "./synapses.js";

/** The token layer's name in the Energy Transformer written as a network. */
export const ET_TOKEN_LAYER = "tokens";

/**
 * The Energy Transformer as a Lagrangian network: one layer-norm neuron layer of `dim` units
 * (state [..., n, dim]) and two synapses on it, the attention and Hopfield energies, with the
 * parameter names of energyTransformerEnergy (Wq, Wk, xi, lnGain, lnBias), so one parameter set
 * feeds both.
 *
 * The Energy Transformer's energy has no neuron term. The layer-norm Lagrangian's Legendre energy
 * is <x, g> - L(x) = -gamma D eps sum_tokens (var(x) + eps)^-1/2: zero for eps = 0 and tiny
 * otherwise, but its gradient in g is x itself, a leak that pulls every token towards 0. With
 * `neuronEnergy: false` (the default here) the network is the Energy Transformer exactly: the
 * same terms, the same activation and the same step. With `neuronEnergy: true` the terms gain
 * `neuron:tokens` and the step becomes the Energy Transformer's step minus alpha x. Either way the
 * step descends only while lnGain >= 0 (the layer-norm Lagrangian is convex only then).
 */
export function lagrangianEnergyTransformer(config: EnergyTransformerConfig, options: { neuronEnergy?: boolean } = {}): LagrangianNetwork<EnergyTransformerParam> {
  requireOptions("lagrangianEnergyTransformer", "config", config, ["dim", "heads", "headDim", "memories", "beta", "eps"]);
  requireOptions("lagrangianEnergyTransformer", "options", options, ["neuronEnergy"]);
  const { dim, heads, headDim, memories } = config;
  return lagrangianNetwork({
    name: "energy-transformer-lagrangian",
    layers: {
      [ET_TOKEN_LAYER]: {
        width: dim,
        lagrangian: layerNormLagrangian({ gain: "lnGain", bias: "lnBias", ...(config.eps === undefined ? {} : { eps: config.eps }) }),
        neuronEnergy: options.neuronEnergy ?? false,
      },
    },
    synapses: [
      attentionSynapse({ name: ET_ATTENTION_TERM, layer: ET_TOKEN_LAYER, heads, headDim, query: "Wq", key: "Wk", ...(config.beta === undefined ? {} : { beta: config.beta }) }),
      hopfieldSynapse({ name: ET_HOPFIELD_TERM, layer: ET_TOKEN_LAYER, memories, weight: "xi" }),
    ],
  });
}
