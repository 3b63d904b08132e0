// The trainer: unfolded energy Transformers (and a standard baseline) trained on MNIST, synthetic
// tasks or a user's data, on any Unfold backend, with checkpoints, metrics, plots and ONNX export.

export { TrainerConfig, TaskConfig, ModelConfig, TrainConfig } from "./config/schema.js";
export { loadConfig, ConfigError, bundledConfigNames, BUNDLED_CONFIG_DIR, CONFIG_FLAGS, type ConfigSources } from "./config/load.js";
export { buildModel, type TrainerModel, type EnergyTrace } from "@unfold/training";
export { buildTask } from "./train/task.js";
export { train, DEFAULT_SOURCE, type TrainOptions, type TrainRun, type InterruptedRun, type TrainOutcome } from "./train/loop.js";
export { openRunDirectory, RUN_FILES, type RunDirectory, type RunDirectoryOptions, type RunMode } from "./train/run-directory.js";
export { listenForStopSignals, STOP_SIGNALS, type StopSignal, type StopSignalListener, stopExitCode } from "./train/stop.js";
export { CheckpointError, parseCheckpointState, type CheckpointState } from "./train/checkpointing.js";
export { trainingProgram, logitsProgram, energyTraceProgram, type EnergyProfile, energyProfile, aboveMinimum, type Evaluation, evaluate } from "@unfold/training";
export { createBackend, BACKEND_NAMES, type BackendName } from "./train/backends.js";
export { exportTrainedModel, type ModelCard } from "./output/onnx.js";
export { writePlots, PLOT_FILES } from "./output/plots.js";
export { predict, type PredictResult, type Prediction } from "./predict/predict.js";
export { trainCommand, TRAIN_HELP, INTERRUPTED_EXIT_CODE, type StoppedSummary, type TrainCommandOptions } from "./commands/train.js";
export { predictCommand } from "./commands/predict.js";
export { summarize, type TrainSummary } from "./commands/summary.js";
export * from "./data/index.js";
export * from "./checkpoint/index.js";
export { createProgress, type Progress, type ProgressOptions } from "./report/progress.js";
export { openMetrics, readMetrics } from "./report/metrics.js";
