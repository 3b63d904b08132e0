// Training Unfold's models, with no file system and no Node: the model construction for the
// trainer's configs, the training session (compiled step, resident parameters, deterministic
// batches, evaluation, the energy-by-layer profile) and the checkpoint's byte formats. Used by
// the `unfold train` CLI and by pages that train in the browser; data come in as arrays,
// parameters and checkpoints go out as tensors and bytes.

export { ConfigError } from "./config/error.js";
export { notAChoice, listChoices, shown } from "./config/choice.js";
export {
  ModelConfig,
  TrainConfig,
  Head,
  int,
  seed,
  oneOf,
  unknownKind,
  type YangModelConfig,
  type EnergyTransformerModelConfig,
  type TransformerModelConfig,
  type CrateModelConfig,
  type FixedPointConfig,
} from "./config/schema.js";
export { type InputKind, type TargetKind, type TaskBatch, type TaskData, type Split, IGNORE_LABEL, inputShape, targetShape, inputSize, targetSize } from "./task/task.js";
export { type StoredSplit, storedTask } from "./task/stored.js";
export { checkIndices, gatherRows } from "./task/indices.js";
export { trainBatchIndices, stepsPerEpoch } from "./task/sampler.js";
export { mixSeed, permutation } from "./task/seed.js";
export { buildModel } from "./model/build.js";
export { type TrainerModel, type EnergyTrace, layerFigure, layerPrefix } from "./model/model.js";
export { type CrateTrainerModel, type CrateLayerStates, crateModel } from "./model/crate.js";
export { yangModel } from "./model/yang.js";
export { energyTransformerModel } from "./model/energy-transformer.js";
export { transformerModel } from "./model/transformer.js";
export { type InputOutput, type HeadKind, inputOutput } from "./model/embedding.js";
export { type StepSizes, stepSizes, logit } from "./model/step-size.js";
export { INPUT, TARGET, LOGITS, energyBefore, energyAfter, trainingProgram, logitsProgram, energyTraceProgram } from "./loop/programs.js";
export { ResidentTensors } from "./loop/resident.js";
export { type Evaluation, evaluate } from "./loop/evaluate.js";
export { type EnergyProfile, energyProfile, energySlack, aboveMinimum } from "./loop/energy.js";
export { StopRequested, stopPoint, stoppable, yieldToEventLoop } from "./loop/stop.js";
export { type TrainingPlan, planTraining } from "./loop/plan.js";
export { type TrainingSetup, type TrainingStart, type TrainingStep, DEFAULT_ENERGY_INPUTS, TrainingSession } from "./loop/session.js";
export { type FixedPointModel } from "./fixed-point/model.js";
export { type FixedPointFigures, type SolvedBatch, FixedPointRunner, jacobianProbeSeed, jacobianProbes } from "./fixed-point/runner.js";
export { type FixedPointEnergyProfile, alignProfiles, extendProfile, fixedPointEnergyProfile, isFixedPointProfile } from "./fixed-point/energy-profile.js";
export { FIXED_POINT_STATE, STATE_COTANGENT, JACOBIAN_PENALTY, jacobianProbeFeed, mapGradFeed, mapParamsProgram, fixedPointLossProgram, fixedPointLogitsProgram, fixedPointUpdateProgram } from "./fixed-point/programs.js";
export { ANCHOR_TERM, ANCHOR_PARAM, anchorEnergy, fixedPointYangModel } from "./model/yang-fixed-point.js";
export { type AnchoredCrateSettings, anchoredCrateEnergy, fixedPointCrateModel } from "./model/crate-fixed-point.js";
export { anchoredEnergyTransformerEnergy, anchoredEnergyTransformerStep, fixedPointEnergyTransformerModel } from "./model/energy-transformer-fixed-point.js";
export { yangLayerSpecs } from "./model/yang-layer.js";
export { type NamedTensor, encodeSafetensors, decodeSafetensors } from "./checkpoint/safetensors.js";
export { type Manifest, type TensorFileEntry, MANIFEST_NAME, MANIFEST_FORMAT, MANIFEST_VERSION, validateManifest } from "./checkpoint/manifest.js";
