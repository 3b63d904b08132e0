// The page's MNIST task: its digits cut into the quick config's patches once, up front (the
// quick config has no augmentation, so tokens never change), as a task @unfold/training trains on.
import { MNIST_CLASSES, MNIST_SIDE, type DigitSet, patchTokens } from "@unfold/datasets/tokens";
import { type StoredSplit, type TaskData, storedTask } from "@unfold/training";
import type { PageDigits } from "./digits-format.js";

function tokenSplit(set: DigitSet, patch: number): StoredSplit {
  return { inputs: patchTokens(set.images, set.count, MNIST_SIDE, patch).tokens, targets: Float64Array.from(set.labels), count: set.count };
}

/** Digit classification on the page's digits, named "mnist" with labels "0".."9" like the trainer's task. */
export function pageMnistTask(digits: PageDigits, patch: number): TaskData {
  const side = MNIST_SIDE / patch;
  return storedTask({
    name: "mnist",
    input: { kind: "features", tokens: side * side, features: patch * patch },
    target: { kind: "class", classes: MNIST_CLASSES },
    labels: Array.from({ length: MNIST_CLASSES }, (_, d) => String(d)),
    train: tokenSplit(digits.train, patch),
    test: tokenSplit(digits.test, patch),
  });
}
