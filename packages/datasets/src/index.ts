export { MNIST_SIDE, MNIST_CLASSES, type DigitSet, loadMnist, loadAllMnist, mnistClassCounts } from "./mnist.js";
export { MNIST_SPLIT_SEED, MNIST_SPLIT_TRAIN, MNIST_SPLIT_TEST, mnistSplit } from "./split.js";
export { patchTokens } from "./patches.js";
export { rowTokens } from "./rows.js";
