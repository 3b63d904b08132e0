// The trainer's quick MNIST config (apps/trainer/configs/quick.json), model and optimization
// sections, as the page trains it; test/train-config.test.ts keeps the two equal. The page
// trains on fewer digits (digits-file.ts), so the same six epochs are fewer steps.
import { ModelConfig, TrainConfig } from "@unfold/training";

/** The config's name, shown in the view and written into the model card. */
export const QUICK_NAME = "quick";

/** The quick config's "model" section. */
export const QUICK_MODEL = {
  kind: "yang",
  dim: 64,
  layers: 4,
  tied: false,
  head: "flatten",
  attentionStep: { fraction: 0.1 },
  feedForwardStep: { fraction: 0.1 },
} as const;

/** The quick config's "train" section. */
export const QUICK_TRAIN = { epochs: 6, batchSize: 64, learningRate: 0.003, warmupSteps: 100 } as const;

/** The quick config's patch side: 7 x 7 patches, 16 tokens of 49 pixels. */
export const QUICK_PATCH = 7;

export const quickModelConfig = (): ModelConfig => ModelConfig.parse(QUICK_MODEL);
export const quickTrainConfig = (): TrainConfig => TrainConfig.parse(QUICK_TRAIN);
