import { MNIST_CLASSES, MNIST_SIDE, mnistClassCounts } from "@unfold/datasets";

/** How many bundled MNIST digits the demo can cut into tokens (balanced over the classes). */
export function mnistDigitsAvailable(): number {
  return Math.min(...mnistClassCounts()) * MNIST_CLASSES;
}

/** The patch sizes that tile a digit exactly: the divisors of its side (28). */
export const PATCH_SIZES: readonly number[] = Array.from({ length: MNIST_SIDE }, (_, i) => i + 1).filter((p) => MNIST_SIDE % p === 0);
