import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { type DigitSet, MNIST_CLASSES, MNIST_SIDE } from "./constants.js";

export { type DigitSet, MNIST_CLASSES, MNIST_SIDE } from "./constants.js";

let cache: Float64Array[] | undefined;

/** The raw per-class pixel arrays shipped by the `mnist` package (about 1,000 digits per class). */
function perClass(): Float64Array[] {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("mnist/package.json"));
  cache = Array.from({ length: MNIST_CLASSES }, (_, digit) => {
    const raw = JSON.parse(readFileSync(join(root, "src", "digits", `${digit}.json`), "utf8")) as { data: number[] };
    return Float64Array.from(raw.data);
  });
  return cache;
}

/** How many digits of each class are bundled. */
export function mnistClassCounts(): number[] {
  const pixels = MNIST_SIDE * MNIST_SIDE;
  return perClass().map((a) => a.length / pixels);
}

/**
 * Every bundled digit, class by class (all the 0s, then all the 1s, ...), each class in the order
 * the `mnist` package ships it. Classes are unequal in size (863 fives, 1,127 ones), so this is
 * not balanced; `mnistSplit` shuffles it into a fixed train/test split.
 */
export function loadAllMnist(): DigitSet {
  const pixels = MNIST_SIDE * MNIST_SIDE;
  const classes = perClass();
  const count = classes.reduce((n, a) => n + a.length / pixels, 0);
  const images = new Float64Array(count * pixels);
  const labels = new Int32Array(count);
  let at = 0;
  classes.forEach((digits, digit) => {
    images.set(digits, at * pixels);
    labels.fill(digit, at, at + digits.length / pixels);
    at += digits.length / pixels;
  });
  return { images, labels, count };
}

/**
 * `count` digits starting at `start`, interleaved by class (0, 1, ..., 9, 0, 1, ...) so any prefix
 * is balanced. Deterministic: the same arguments always give the same digits.
 */
export function loadMnist(options: { count: number; start?: number }): DigitSet {
  const { count } = options;
  const start = options.start ?? 0;
  const available = Math.min(...mnistClassCounts()) * MNIST_CLASSES;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(start) || start < 0 || start + count > available) {
    throw new RangeError(`loadMnist: need integers count >= 1, start >= 0 with start + count <= ${available}; got start=${start}, count=${count}`);
  }
  const pixels = MNIST_SIDE * MNIST_SIDE;
  const classes = perClass();
  const images = new Float64Array(count * pixels);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const index = start + k;
    const digit = index % MNIST_CLASSES;
    const within = Math.floor(index / MNIST_CLASSES);
    images.set(classes[digit]!.subarray(within * pixels, (within + 1) * pixels), k * pixels);
    labels[k] = digit;
  }
  return { images, labels, count };
}
