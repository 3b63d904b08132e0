import { describe, expect, it } from "vitest";
import { MNIST_CLASSES, MNIST_SIDE, loadAllMnist, loadMnist, mnistClassCounts, mnistSplit, patchTokens, rowTokens } from "../src/index.js";
import { seededPermutation } from "../src/shuffle.js";

const PIXELS = MNIST_SIDE * MNIST_SIDE;

/** A digit's pixels as a string key, to compare digits across sets by content. */
function keys(images: Float64Array, count: number): string[] {
  return Array.from({ length: count }, (_, k) => images.subarray(k * PIXELS, (k + 1) * PIXELS).join(","));
}

function classCounts(labels: Int32Array): number[] {
  const counts = new Array<number>(MNIST_CLASSES).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

describe("loadAllMnist", () => {
  it("returns every bundled digit, class by class, with the per-class counts", () => {
    const all = loadAllMnist();
    const counts = mnistClassCounts();
    expect(all.count).toBe(10_000);
    expect(all.images.length).toBe(all.count * PIXELS);
    expect(classCounts(all.labels)).toEqual(counts);
    // Labels are sorted: class blocks in order.
    for (let k = 1; k < all.count; k++) expect(all.labels[k]!).toBeGreaterThanOrEqual(all.labels[k - 1]!);
    // The first digit of class 3 is the same digit the balanced loader puts at position 3.
    const start3 = counts[0]! + counts[1]! + counts[2]!;
    expect(all.images.subarray(start3 * PIXELS, (start3 + 1) * PIXELS)).toEqual(loadMnist({ count: 1, start: 3 }).images);
  });
});

describe("mnistSplit", () => {
  it("defaults to 8,000 train and 2,000 test digits that together are every digit once", () => {
    const { train, test } = mnistSplit();
    expect([train.count, test.count]).toEqual([8_000, 2_000]);
    expect(train.images.length).toBe(8_000 * PIXELS);
    expect(test.labels.length).toBe(2_000);
    const all = loadAllMnist();
    const everything = new Set(keys(all.images, all.count));
    const trainKeys = keys(train.images, train.count);
    const testKeys = keys(test.images, test.count);
    // Disjoint and complete, up to digits that happen to be pixel-identical in the source data.
    const seen = new Set([...trainKeys, ...testKeys]);
    expect(seen.size).toBe(everything.size);
    const trainSet = new Set(trainKeys);
    expect(testKeys.filter((k) => trainSet.has(k))).toHaveLength(all.count - everything.size);
  });

  it("keeps labels with their images", () => {
    const all = loadAllMnist();
    const byKey = new Map(keys(all.images, all.count).map((k, i) => [k, all.labels[i]!]));
    const { test } = mnistSplit();
    keys(test.images, test.count).forEach((k, i) => expect(byKey.get(k)).toBe(test.labels[i]));
  });

  it("is shuffled across classes and roughly class-balanced on both sides", () => {
    const { train, test } = mnistSplit();
    const all = classCounts(loadAllMnist().labels);
    for (const [set, share] of [[train, 0.8], [test, 0.2]] as const) {
      classCounts(set.labels).forEach((c, digit) => {
        // A random split draws each class's count from a hypergeometric law; within 4 standard
        // deviations of its expectation (about 5% of the class in train, 25% in test).
        const sigma = Math.sqrt(all[digit]! * share * (1 - share));
        expect(Math.abs(c - all[digit]! * share)).toBeLessThan(4 * sigma);
      });
    }
    // Not class-sorted: the first hundred training digits mix many classes.
    expect(new Set(train.labels.subarray(0, 100)).size).toBe(MNIST_CLASSES);
  });

  it("is the same split every time, and smaller splits are prefixes (train) and suffixes (test)", () => {
    const a = mnistSplit({ train: 500, test: 300 });
    const b = mnistSplit({ train: 500, test: 300 });
    expect(a.train.images).toEqual(b.train.images);
    expect(a.test.labels).toEqual(b.test.labels);
    const full = mnistSplit();
    expect(a.train.images).toEqual(full.train.images.subarray(0, 500 * PIXELS));
    expect(a.test.images).toEqual(full.test.images.subarray((2_000 - 300) * PIXELS));
  });

  it("rejects asking for more digits than are bundled", () => {
    expect(() => mnistSplit({ train: 9_000 })).toThrow(/train \+ test <= 10000; got train=9000, test=2000/);
    expect(() => mnistSplit({ train: 10_000, test: 1 })).toThrow(RangeError);
    expect(() => mnistSplit({ train: -1 })).toThrow(/train >= 0/);
    expect(() => mnistSplit({ test: 2.5 })).toThrow(RangeError);
    expect(mnistSplit({ train: 10_000, test: 0 }).test.count).toBe(0);
  });
});

describe("seededPermutation", () => {
  it("is a permutation, fixed by its seed", () => {
    const p = seededPermutation(1000, 7);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seededPermutation(1000, 7)).toEqual(p);
    expect(seededPermutation(1000, 8)).not.toEqual(p);
    // Pinned so an accidental change to the generator (and so to the split) fails loudly.
    expect(Array.from(seededPermutation(8, 1))).toEqual([6, 5, 7, 1, 2, 3, 0, 4]);
  });
});

describe("rowTokens", () => {
  it("makes each pixel row a token", () => {
    const side = 3;
    const images = Float64Array.from({ length: 2 * side * side }, (_, i) => i);
    const { tokens, n, d } = rowTokens(images, 2, side);
    expect([n, d]).toEqual([3, 3]);
    // Image 1, token 2 is image 1's last row.
    expect(Array.from(tokens.subarray((1 * n + 2) * d, (1 * n + 3) * d))).toEqual([15, 16, 17]);
    tokens[0] = -1;
    expect(images[0]).toBe(0);
  });

  it("agrees with patchTokens on full-width patches of one row", () => {
    const { images } = loadMnist({ count: 2 });
    const rows = rowTokens(images, 2, MNIST_SIDE);
    // A 28 x 28 patch is the whole image; its rows are the row tokens.
    expect(patchTokens(images, 2, MNIST_SIDE, MNIST_SIDE).tokens).toEqual(rows.tokens);
  });

  it("rejects sizes that do not match", () => {
    expect(() => rowTokens(new Float64Array(10), 1, 3)).toThrow(/10 pixels are not 1 images of 3 x 3/);
    expect(() => rowTokens(new Float64Array(0), 0, 0)).toThrow(/side >= 1/);
  });
});
