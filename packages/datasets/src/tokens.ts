// @unfold/datasets/tokens: the browser-safe part of the package. Everything here is pure
// computation on arrays the caller brings (a page fetches its digits itself); nothing imports
// node:, so a bundler can put it in a web page. The package's main entry adds the loaders that
// read the bundled digits from the installed `mnist` package.

export { MNIST_SIDE, MNIST_CLASSES, type DigitSet, MNIST_SPLIT_SEED, MNIST_SPLIT_TRAIN, MNIST_SPLIT_TEST } from "./constants.js";
export { patchTokens } from "./patches.js";
export { rowTokens } from "./rows.js";
export { seededPermutation } from "./shuffle.js";
