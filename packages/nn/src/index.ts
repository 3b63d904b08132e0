// @unfold/nn: model pieces shared by apps, all traced core programs. Parameters and their
// initial values, layers, losses, AdamW as a program, the whole training step as one program,
// and the standard pre-LayerNorm Transformer baseline.

export {
  type Initializer,
  type TrainableSpec,
  type TrainableSpecs,
  initParams,
  countParams,
  specLeaves,
  mergeSpecs,
  prefixSpecs,
  unprefix,
  decayFlags,
  decaysParam,
  checkTrainableSpec,
  checkTrainableSpecs,
  sortedNames,
  streamSeed,
} from "./params.js";
export { linear, linearSpecs, embedTokens, meanPool, causalMask, MASKED_LOGIT } from "./layers.js";
export { softmaxCrossEntropy, correctPredictions } from "./losses.js";
export { type AdamWOptions, type AdamWState, type AdamWResult, adamwUpdate } from "./optim.js";
export { type LearningRateSchedule, learningRateAt, checkSchedule } from "./schedule.js";
export { type TrainStepSpec, trainStepProgram, trainStepCarry, zeroMoments, lossProgram, stepFeeds } from "./train-step.js";
export { type AttentionWeights, type AttentionOptions, multiHeadAttention } from "./attention.js";
export {
  type TransformerConfig,
  transformerSpecs,
  transformerEncoder,
  transformerLayerSpecs,
  transformerLayerPrefix,
  checkTransformerConfig,
  gelu,
} from "./transformer.js";
