// The trainer: unfolded energy Transformers (and a standard baseline) trained on MNIST, synthetic
// tasks or a user's data, on any Unfold backend, with checkpoints, metrics, plots and ONNX export.

export { TrainerConfig, TaskConfig, ModelConfig, TrainConfig } from "./config/schema.js";
export { loadConfig, ConfigError, bundledConfigNames, BUNDLED_CONFIG_DIR, CONFIG_FLAGS, type ConfigSources } from "./config/load.js";
export { buildModel } from "./model/build.js";
export type { TrainerModel, EnergyTrace } from "./model/model.js";
export { buildTask } from "./train/task.js";
export { train, type TrainOptions, type TrainRun } from "./train/loop.js";
export { trainingProgram, logitsProgram, energyTraceProgram } from "./train/programs.js";
export { type EnergyProfile, energyProfile, aboveMinimum } from "./train/energy.js";
export { type Evaluation, evaluate } from "./train/evaluate.js";
export { createBackend, BACKEND_NAMES, type BackendName } from "./train/backends.js";
export { exportTrainedModel, type ModelCard } from "./output/onnx.js";
export { writePlots } from "./output/plots.js";
export { predict, type PredictResult, type Prediction } from "./predict/predict.js";
export { trainCommand, TRAIN_HELP, INTERRUPTED_EXIT_CODE } from "./commands/train.js";
export { predictCommand } from "./commands/predict.js";
export { summarize, type TrainSummary } from "./commands/summary.js";
export * from "./data/index.js";
export * from "./checkpoint/index.js";
export { createProgress, type Progress, type ProgressOptions } from "./report/progress.js";
export { openMetrics, readMetrics } from "./report/metrics.js";
