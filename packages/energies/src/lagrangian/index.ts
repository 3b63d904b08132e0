// Lagrangian composition: neuron layers defined by Lagrangians, synapses as energies of their
// activations, one core Energy whose dynamics come from autodiff.

export {
  type Lagrangian,
  type LayerNormLagrangianOptions,
  identityLagrangian,
  reluLagrangian,
  softmaxLagrangian,
  sigmoidLagrangian,
  tanhLagrangian,
  layerNormLagrangian,
} from "./lagrangians.js";
export { type Synapse, type AttentionSynapseOptions, denseSynapse, attentionSynapse, hopfieldSynapse } from "./synapses.js";
export { type NeuronLayer, type LagrangianNetworkConfig, type LayerSlot, type LagrangianNetwork, type NetworkParam, neuronTerm, lagrangianNetwork } from "./network.js";
export { lagrangianStep } from "./step.js";
export { HOPFIELD_VISIBLE_LAYER, HOPFIELD_MEMORY_LAYER, hopfieldNetwork, hopfieldNetworkState } from "./hopfield-network.js";
export { ET_TOKEN_LAYER, lagrangianEnergyTransformer } from "./energy-transformer.js";
