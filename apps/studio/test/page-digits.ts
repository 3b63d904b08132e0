// The page's test digits, in Node: the same digits the build writes into mnist-digits.bin
// (vite/mnist-asset.ts), read from @unfold/datasets' fixed split, for the reference traces.
import { type DigitSet, MNIST_SIDE, mnistSplit } from "@unfold/datasets";
import { PAGE_TEST_DIGITS, PAGE_TRAIN_DIGITS } from "../src/train/digits-file.js";
import { type Scene } from "../src/scenes.js";
import { mnistScene } from "../src/mnist-scene.js";

let testDigits: DigitSet | undefined;

/** The page's test digits (loaded once). */
export function pageTestDigits(): DigitSet {
  testDigits ??= mnistSplit({ train: PAGE_TRAIN_DIGITS, test: PAGE_TEST_DIGITS }).test;
  return testDigits;
}

/** Test digit `index` of the page: its pixels and label. */
export function pageTestDigit(index: number): { digit: Float64Array; label: number } {
  const set = pageTestDigits();
  const pixels = MNIST_SIDE * MNIST_SIDE;
  return { digit: set.images.slice(index * pixels, (index + 1) * pixels), label: set.labels[index]! };
}

/** The MNIST scene of test digit `index`, as the page builds it. */
export function pageMnistScene(index: number): Scene {
  const { digit, label } = pageTestDigit(index);
  return mnistScene(digit, label, index);
}
