import type { TaskConfig } from "../config/schema.js";
import { additionTask } from "../data/addition.js";
import { fileTask } from "../data/file.js";
import { mnistTask } from "../data/mnist.js";
import { recallTask } from "../data/recall.js";
import type { TaskData } from "@unfold/training";

/** The task a config names, with its data loaded (and validated, for a user's file). */
export function buildTask(config: TaskConfig): TaskData {
  switch (config.kind) {
    case "mnist":
      return mnistTask({
        tokens: config.tokens,
        patch: config.patch,
        train: config.train,
        test: config.test,
        ...(config.augmentShift > 0 ? { augment: { shift: config.augmentShift } } : {}),
      });
    case "addition":
      return additionTask({ train: config.train, test: config.test, seed: config.seed });
    case "recall":
      return recallTask({ train: config.train, test: config.test, pairs: config.pairs, keys: config.keys, values: config.values, seed: config.seed });
    case "file":
      return fileTask({
        path: config.path,
        ...(config.testPath !== undefined ? { testPath: config.testPath } : {}),
        ...(config.format !== undefined ? { format: config.format } : {}),
        ...(config.tokens !== undefined ? { tokens: config.tokens } : {}),
        ...(config.testFraction !== undefined ? { testFraction: config.testFraction } : {}),
        ...(config.classes !== undefined ? { classes: config.classes } : {}),
      });
  }
}

/** Whether training batches are augmented (MNIST's random shifts). */
export function augments(config: TaskConfig): boolean {
  return config.kind === "mnist" && config.augmentShift > 0;
}
