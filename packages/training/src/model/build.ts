import { ConfigError } from "../config/error.js";
import type { ModelConfig } from "../config/schema.js";
import type { TaskData } from "../task/task.js";
import { crateModel } from "./crate.js";
import { fixedPointCrateModel } from "./crate-fixed-point.js";
import { energyTransformerModel } from "./energy-transformer.js";
import { fixedPointEnergyTransformerModel } from "./energy-transformer-fixed-point.js";
import type { TrainerModel } from "./model.js";
import { transformerModel } from "./transformer.js";
import { yangModel } from "./yang.js";

/**
 * The model a config's model section describes, sized for `task`. A model that cannot serve the
 * task (a bidirectional one on next-token prediction, a flatten head on per-token labels) is a
 * ConfigError naming the field to change.
 */
export function buildModel(config: ModelConfig, task: TaskData): TrainerModel {
  // The energy Transformer and CRATE attend both ways: they are refused below, not asked for causal.
  const bidirectional = config.kind === "energy-transformer" || config.kind === "crate";
  if (task.nextToken && !bidirectional && !config.causal) {
    throw new ConfigError(`task '${task.name}' is next-token prediction: set model.causal to true, or a token would see its own answer`);
  }
  if (config.head === "flatten" && task.target.kind !== "class") {
    // A per-token target always gets a per-token head: 'flatten' would be silently ignored.
    throw new ConfigError(
      `model.head "flatten" applies to tasks with one label per example, but task '${task.name}' labels every token (a per-token head is used); remove model.head`,
    );
  }
  if (task.nextToken && bidirectional) {
    throw new ConfigError(`task '${task.name}' is next-token prediction, which needs a causal model; the ${config.kind} model attends both ways (use yang or transformer with causal: true)`);
  }
  switch (config.kind) {
    case "yang":
      return yangModel(config, task);
    case "energy-transformer":
      return config.fixedPoint ? fixedPointEnergyTransformerModel(config, config.fixedPoint, task) : energyTransformerModel(config, task);
    case "transformer":
      return transformerModel(config, task);
    case "crate":
      return config.fixedPoint ? fixedPointCrateModel(config, config.fixedPoint, task) : crateModel(config, task);
  }
}
