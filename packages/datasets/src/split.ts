import { MNIST_SIDE, MNIST_SPLIT_SEED, MNIST_SPLIT_TEST, MNIST_SPLIT_TRAIN, type DigitSet } from "./constants.js";
import { loadAllMnist } from "./mnist.js";
import { seededPermutation } from "./shuffle.js";

export { MNIST_SPLIT_SEED, MNIST_SPLIT_TEST, MNIST_SPLIT_TRAIN } from "./constants.js";

/**
 * A fixed train/test split of all bundled digits: one permutation from MNIST_SPLIT_SEED over
 * every digit; train is its first `train` entries and test its last `test` entries. Taking test
 * from the end keeps the test set the same when a quick run asks for fewer training digits, so
 * learning curves over train sizes are measured on the same test digits.
 */
export function mnistSplit(options: { train?: number; test?: number } = {}): { train: DigitSet; test: DigitSet } {
  const train = options.train ?? MNIST_SPLIT_TRAIN;
  const test = options.test ?? MNIST_SPLIT_TEST;
  const all = loadAllMnist();
  if (!Number.isInteger(train) || train < 0 || !Number.isInteger(test) || test < 0 || train + test > all.count) {
    throw new RangeError(`mnistSplit: need integers train >= 0, test >= 0 with train + test <= ${all.count}; got train=${train}, test=${test}`);
  }
  const order = seededPermutation(all.count, MNIST_SPLIT_SEED);
  return { train: pick(all, order.subarray(0, train)), test: pick(all, order.subarray(all.count - test)) };
}

function pick(all: DigitSet, indices: Int32Array): DigitSet {
  const pixels = MNIST_SIDE * MNIST_SIDE;
  const images = new Float64Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  indices.forEach((source, k) => {
    images.set(all.images.subarray(source * pixels, (source + 1) * pixels), k * pixels);
    labels[k] = all.labels[source]!;
  });
  return { images, labels, count: indices.length };
}
