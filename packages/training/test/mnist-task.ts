import { MNIST_SIDE, mnistSplit, patchTokens } from "@unfold/datasets";
import { type TaskData, storedTask } from "../src/index.js";

/**
 * MNIST as a page would hand it to the package: the bundled digits cut into 7 x 7 patch tokens
 * up front and passed in as arrays (the test loads them from @unfold/datasets; a page would fetch them).
 */
export function mnistArrays(train: number, test: number, patch = 7): TaskData {
  const split = mnistSplit({ train, test });
  const tokens = (MNIST_SIDE / patch) ** 2;
  const features = patch * patch;
  const stored = (set: (typeof split)["train"]) => ({ inputs: patchTokens(set.images, set.count, MNIST_SIDE, patch).tokens, targets: Float64Array.from(set.labels), count: set.count });
  return storedTask({
    name: "mnist",
    input: { kind: "features", tokens, features },
    target: { kind: "class", classes: 10 },
    labels: Array.from({ length: 10 }, (_, d) => String(d)),
    train: stored(split.train),
    test: stored(split.test),
  });
}
