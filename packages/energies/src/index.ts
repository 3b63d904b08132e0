// The energy library. Each energy is defined once; its descent steps come from autodiff or from
// a closed form that its tests verify against autodiff.

export {
  type AttentionEnergyConfig,
  ATTENTION_TERM,
  attentionEnergy,
  attentionEnergyValue,
  attentionMetric,
  metricLogits,
  factoredLogits,
  softmaxBetaAttention,
  plainSoftmaxAttention,
  plainSoftmaxStep,
} from "./yang/attention.js";
export {
  type FeedForwardEnergyConfig,
  FEED_FORWARD_TERM,
  feedForwardEnergy,
  feedForwardStep,
  feedForwardStepBound,
  clipSpectrum,
} from "./yang/feed-forward.js";
export { normalizeTokens, tokenNormalizationStep } from "./yang/normalize.js";
export {
  type YangConfig,
  type YangLayerOptions,
  type YangInitOptions,
  yangEnergy,
  yangLayerSteps,
  initYangParams,
  safeFeedForwardStepSize,
} from "./yang/model.js";
export {
  type EnergyTransformerConfig,
  ET_ATTENTION_TERM,
  ET_HOPFIELD_TERM,
  energyTransformerEnergy,
  energyTransformerStep,
  initEnergyTransformerParams,
} from "./energy-transformer/energy.js";
export { type HopfieldConfig, HOPFIELD_TERM, HOPFIELD_STEP_BOUND, hopfieldEnergy, hopfieldStep, hopfieldUpdate } from "./hopfield/energy.js";
export { boundedSpectrumWeight, spectralRadiusBound } from "./yang/bounded-spectrum.js";
export * from "./lagrangian/index.js";
export * from "./crate/index.js";
