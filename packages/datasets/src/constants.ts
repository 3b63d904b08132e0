// The digits' fixed facts (sizes, classes, the split's seed and sizes), apart from the loaders
// that read the `mnist` package with node:fs, so a browser page can share them.

/** 28 x 28 greyscale digits, pixel values in [0, 1]. */
export const MNIST_SIDE = 28;
/** The digit classes, 0 to 9. */
export const MNIST_CLASSES = 10;

/** A set of MNIST digits: their pixels, labels and count. */
export interface DigitSet {
  /** [count, 28, 28] row-major, values in [0, 1]. */
  readonly images: Float64Array;
  readonly labels: Int32Array;
  readonly count: number;
}

/** The seed of the fixed permutation behind `mnistSplit`. Changing it changes every reported result. */
export const MNIST_SPLIT_SEED = 20_240_517;
/** Training digits in the fixed split. */
export const MNIST_SPLIT_TRAIN = 8_000;
/** Held-out digits in the fixed split. */
export const MNIST_SPLIT_TEST = 2_000;
