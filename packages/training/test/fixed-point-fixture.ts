// A tiny classification task and a tiny fixed-point Yang model for the fixed-point tests (not a test file).
import { type HostTensor, Random, hostTensor } from "@unfold/core";
import { initParams } from "@unfold/nn";
import { ModelConfig, type TaskData, type TrainerModel, buildModel, inputShape, storedTask, targetShape } from "../src/index.js";

export const TOKENS = 3;
export const FEATURES = 2;
export const CLASSES = 3;

/** Random features; the label is which feature sum (token 0, token 1, or neither) is largest: learnable. */
export function tinyTask(train: number, test: number, seed = 1): TaskData {
  const rng = new Random(seed);
  const split = (count: number) => {
    const inputs = rng.normals(count * TOKENS * FEATURES);
    const targets = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const sums = [0, 1, 2].map((t) => inputs[(i * TOKENS + t) * FEATURES]! + inputs[(i * TOKENS + t) * FEATURES + 1]!);
      targets[i] = sums.indexOf(Math.max(...sums));
    }
    return { inputs, targets, count };
  };
  return storedTask({ name: "tiny", input: { kind: "features", tokens: TOKENS, features: FEATURES }, target: { kind: "class", classes: CLASSES }, train: split(train), test: split(test) });
}

/** A fixed-point Yang model of width 4 on `task`, with `fixedPoint` settings over tight defaults. */
export function tinyModel(task: TaskData, fixedPoint: Record<string, unknown> = {}): TrainerModel {
  const implicit = (fixedPoint["backward"] ?? "implicit") === "implicit";
  const config = ModelConfig.parse({
    kind: "yang",
    dim: 4,
    attentionStep: { fraction: 0.5 },
    feedForwardStep: { fraction: 0.5 },
    fixedPoint: { tol: 1e-13, maxIterations: 5_000, ...(implicit ? { adjoint: { tol: 1e-13, maxIterations: 1_000 } } : {}), ...fixedPoint },
  });
  return buildModel(config, task);
}

/** The model's initial float64 parameters. */
export const tinyParams = (model: TrainerModel, seed = 3): Record<string, HostTensor> => initParams(model.specs, { seed, dtype: "float64" });

/** The first `batch` training examples as float64 feeds. */
export function firstBatch(task: TaskData, batch: number): { inputs: HostTensor; targets: HostTensor } {
  const data = task.batch("train", Int32Array.from({ length: batch }, (_, i) => i));
  return { inputs: hostTensor(data.inputs, inputShape(task, batch), "float64"), targets: hostTensor(data.targets, targetShape(task, batch), "float64") };
}
