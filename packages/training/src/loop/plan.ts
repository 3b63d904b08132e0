import { ConfigError } from "../config/error.js";
import type { TrainConfig } from "../config/schema.js";
import { stepsPerEpoch } from "../task/sampler.js";
import type { TaskData } from "../task/task.js";

/** How long a run is and when it evaluates and saves, in steps. */
export interface TrainingPlan {
  /** Steps in one pass over the training split (the last batch of an epoch may wrap round). */
  readonly perEpoch: number;
  /** epochs x perEpoch. */
  readonly totalSteps: number;
  /** Evaluate on the test split every this many steps (train.evalEvery, else once an epoch). */
  readonly evalEvery: number;
  /** Save a checkpoint every this many steps (train.checkpointEvery, else once an epoch). */
  readonly checkpointEvery: number;
}

/**
 * The run's length for `train` on `task`, after the checks that need both: a batch larger than the
 * training split, or more warm-up steps than the run has, is a ConfigError naming the field.
 */
export function planTraining(train: TrainConfig, task: TaskData): TrainingPlan {
  if (train.batchSize > task.trainCount) {
    throw new ConfigError(`train.batchSize (${train.batchSize}) is larger than the training split (${task.trainCount} examples)`);
  }
  const perEpoch = stepsPerEpoch(task.trainCount, train.batchSize);
  const totalSteps = train.epochs * perEpoch;
  if (train.warmupSteps > totalSteps) {
    throw new ConfigError(`train.warmupSteps (${train.warmupSteps}) exceeds the run's ${totalSteps} steps (${train.epochs} epochs of ${perEpoch}); lower it or train longer`);
  }
  return { perEpoch, totalSteps, evalEvery: train.evalEvery ?? perEpoch, checkpointEvery: train.checkpointEvery ?? perEpoch };
}
