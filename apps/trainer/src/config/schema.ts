import { MNIST_SPLIT_TEST, MNIST_SPLIT_TRAIN } from "@unfold/datasets";
import { ModelConfig, TrainConfig, int, oneOf, seed, unknownKind } from "@unfold/training";
import { z } from "zod";

// The trainer's configuration, one schema for the JSON file and the flags: the task, backend and
// output sections here, the model and optimization sections from @unfold/training. Every object
// is strict, so a misspelt or unknown field is an error naming it rather than a silent default.

export { ModelConfig, TrainConfig };
export type { YangModelConfig, EnergyTransformerModelConfig, TransformerModelConfig, CrateModelConfig } from "@unfold/training";

/** How many digits the bundled MNIST holds: the train and test splits share them. */
export const MNIST_DIGITS = MNIST_SPLIT_TRAIN + MNIST_SPLIT_TEST;

const MnistTask = z
  .strictObject({
    kind: z.literal("mnist"),
    /** 'patches': non-overlapping patch x patch squares, one token each; 'rows': one token per pixel row. */
    tokens: oneOf("token layout", ["patches", "rows"]).default("patches"),
    patch: int(1, 28).default(7),
    train: int(10, 10_000).default(8_000),
    test: int(10, 10_000).default(2_000),
    /** Random translation of training digits by up to this many pixels (0: none). */
    augmentShift: int(0, 8).default(0),
  })
  .superRefine((task, ctx) => {
    if (task.train + task.test > MNIST_DIGITS) {
      ctx.addIssue({ code: "custom", path: ["train"], message: `train + test examples must be at most the ${MNIST_DIGITS.toLocaleString("en-US")} bundled digits, got ${task.train} + ${task.test}` });
    }
  });

const AdditionTask = z.strictObject({
  kind: z.literal("addition"),
  train: int(10, 1_000_000).default(20_000),
  test: int(10, 100_000).default(2_000),
  seed: seed.default(1),
});

const RecallTask = z.strictObject({
  kind: z.literal("recall"),
  train: int(10, 1_000_000).default(20_000),
  test: int(10, 100_000).default(2_000),
  pairs: int(1, 64).default(8),
  keys: int(2, 1_000).default(16),
  values: int(2, 1_000).default(16),
  seed: seed.default(1),
});

const FileTask = z
  .strictObject({
    kind: z.literal("file"),
    path: z.string().min(1),
    testPath: z.string().min(1).optional(),
    format: oneOf("data format", ["jsonl", "csv"]).optional(),
    /** Flat inputs (CSV rows, flat JSONL inputs): how many tokens each example's numbers are cut into. */
    tokens: int(1, 100_000).optional(),
    /** The share of the file, from its end, held out for test when there is no testPath (default 0.2). */
    testFraction: z.number().gt(0).lt(1).optional(),
    /**
     * The class count: labels are 0..classes-1, and one outside is an error. Without it the
     * class set is the labels the training examples use (see fileTask).
     */
    classes: int(2, 1_000_000).optional(),
  })
  .superRefine((task, ctx) => {
    // A fraction of the training file and a separate test file are two ways to get a test split: one would be ignored.
    if (task.testFraction !== undefined && task.testPath !== undefined) {
      ctx.addIssue({ code: "custom", path: ["testFraction"], message: "applies only without a test file, but task.testPath (--test-data) names one; remove one of them" });
    }
  });

export const TaskConfig = z.discriminatedUnion("kind", [MnistTask, AdditionTask, RecallTask, FileTask], { error: unknownKind("task") });

export const TrainerConfig = z.strictObject({
  name: z.string().min(1).default("custom"),
  task: TaskConfig.prefault({ kind: "mnist" }),
  model: ModelConfig.prefault({ kind: "yang" }),
  train: TrainConfig.prefault({}),
  backend: oneOf("backend", ["cpu", "webgpu", "onnx", "tfjs", "reference"]).default("cpu"),
  dtype: oneOf("dtype", ["float32", "float64"]).default("float32"),
  /** Where checkpoints, metrics, plots and the ONNX export go. */
  out: z.string().min(1).default("out/train"),
  /**
   * How many test inputs the figures by layer use (an energy model's energy, CRATE's coding rate
   * and sparsity). The default, 200, means at most 200: a smaller test split is used whole. A
   * value set explicitly must fit the test split.
   */
  energyInputs: int(1, 10_000).default(200),
  /** Export the trained model to ONNX at the end. */
  onnx: z.boolean().default(true),
});

export type TrainerConfig = z.output<typeof TrainerConfig>;
export type TaskConfig = z.output<typeof TaskConfig>;
