export { MNIST_SIDE, MNIST_CLASSES, type DigitSet, loadMnist, mnistClassCounts } from "./mnist.js";
export { patchTokens } from "./patches.js";
