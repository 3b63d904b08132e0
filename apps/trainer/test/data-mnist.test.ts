import { MNIST_SIDE, mnistSplit, patchTokens } from "@unfold/datasets";
import { describe, expect, it } from "vitest";
import { mnistTask } from "../src/data/mnist.js";
import { shiftImage } from "../src/data/shift.js";
import { inputShape, targetShape } from "@unfold/training";

const PIXELS = MNIST_SIDE * MNIST_SIDE;

describe("mnistTask shapes", () => {
  it("cuts 7 x 7 patches by default, or rows, or another patch size", () => {
    const patches = mnistTask({ tokens: "patches", train: 50, test: 20 });
    expect(patches.input).toEqual({ kind: "features", tokens: 16, features: 49 });
    expect(patches.target).toEqual({ kind: "class", classes: 10 });
    expect([patches.trainCount, patches.testCount]).toEqual([50, 20]);
    expect(inputShape(patches, 8)).toEqual([8, 16, 49]);
    expect(targetShape(patches, 8)).toEqual([8]);
    expect(patches.labels).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    const rows = mnistTask({ tokens: "rows", train: 50, test: 20 });
    expect(inputShape(rows, 3)).toEqual([3, 28, 28]);
    expect(inputShape(mnistTask({ tokens: "patches", patch: 4, train: 10, test: 0 }), 2)).toEqual([2, 49, 16]);
  });

  it("defaults to the fixed 8,000 / 2,000 split", () => {
    const task = mnistTask({ tokens: "rows" });
    expect([task.trainCount, task.testCount]).toEqual([8_000, 2_000]);
  });

  it("returns the split's digits, tokenized, with their labels", () => {
    const task = mnistTask({ tokens: "patches", train: 50, test: 20 });
    const split = mnistSplit({ train: 50, test: 20 });
    const batch = task.batch("test", [19, 0, 7]);
    expect(batch.count).toBe(3);
    expect(batch.inputs.length).toBe(3 * 16 * 49);
    expect(Array.from(batch.targets)).toEqual([19, 0, 7].map((i) => split.test.labels[i]));
    const images = new Float64Array(3 * PIXELS);
    [19, 0, 7].forEach((i, k) => images.set(split.test.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS));
    expect(batch.inputs).toEqual(patchTokens(images, 3, MNIST_SIDE, 7).tokens);
    // Train and test are different digits.
    expect(task.batch("train", [0]).inputs).not.toEqual(task.batch("test", [0]).inputs);
  });

  it("rejects bad options and indices, naming them", () => {
    expect(() => mnistTask({ tokens: "patches", patch: 5 })).toThrow(/patch must be a divisor of 28/);
    expect(() => mnistTask({ tokens: "rows", augment: { shift: -1 } })).toThrow(/augment.shift/);
    expect(() => mnistTask({ tokens: "rows", train: 9_000 })).toThrow(/mnistTask: .*train \+ test <= 10000/);
    const task = mnistTask({ tokens: "rows", train: 10, test: 5 });
    expect(() => task.batch("test", [5])).toThrow(/index 5 at batch position 0 is outside the test split of 5 examples/);
    expect(() => task.batch("train", [0, 1.5])).toThrow(/index 1.5 at batch position 1/);
  });
});

/** The (dx, dy) in [-shift, shift]^2 that turns `original` into `shifted`, if any. */
function findShift(original: Float64Array, shifted: Float64Array, shift: number): [number, number] | undefined {
  const candidate = new Float64Array(PIXELS);
  for (let dy = -shift; dy <= shift; dy++) {
    for (let dx = -shift; dx <= shift; dx++) {
      shiftImage(original, candidate, MNIST_SIDE, dx, dy);
      if (candidate.every((v, i) => v === shifted[i])) return [dx, dy];
    }
  }
  return undefined;
}

describe("mnistTask augmentation", () => {
  const task = mnistTask({ tokens: "rows", train: 64, test: 8, augment: { shift: 2 } });
  const indices = Array.from({ length: 32 }, (_, i) => i);

  it("is off unless batch() is asked for it", () => {
    const plain = task.batch("train", indices);
    const unshifted = mnistTask({ tokens: "rows", train: 64, test: 8 });
    expect(plain.inputs).toEqual(unshifted.batch("train", indices).inputs);
    // A task built without augment ignores the request.
    expect(unshifted.batch("train", indices, { seed: 3 }).inputs).toEqual(plain.inputs);
  });

  it("is the same for the same seed and different for another", () => {
    const a = task.batch("train", indices, { seed: 11 });
    const b = task.batch("train", indices, { seed: 11 });
    const c = task.batch("train", indices, { seed: 12 });
    expect(a.inputs).toEqual(b.inputs);
    expect(c.inputs).not.toEqual(a.inputs);
    expect(a.targets).toEqual(task.batch("train", indices).targets);
  });

  it("translates each digit by at most `shift` pixels, and really moves most of them", () => {
    const plain = task.batch("train", indices).inputs;
    const shifted = task.batch("train", indices, { seed: 11 }).inputs;
    const shifts = indices.map((_, k) => findShift(plain.subarray(k * PIXELS, (k + 1) * PIXELS), shifted.subarray(k * PIXELS, (k + 1) * PIXELS), 2));
    for (const s of shifts) expect(s).toBeDefined();
    const moved = shifts.filter((s) => s![0] !== 0 || s![1] !== 0).length;
    // 24 of the 25 offsets move the digit; 32 draws all landing on (0, 0) is essentially impossible.
    expect(moved).toBeGreaterThan(16);
    // Offsets vary across the batch (keyed by position, not one shift for all).
    expect(new Set(shifts.map((s) => s!.join(","))).size).toBeGreaterThan(5);
  });
});

describe("shiftImage", () => {
  it("moves pixels right and down, filling with zeros", () => {
    const side = 3;
    const source = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const target = new Float64Array(9).fill(-1);
    shiftImage(source, target, side, 1, 0);
    expect(Array.from(target)).toEqual([0, 1, 2, 0, 4, 5, 0, 7, 8]);
    shiftImage(source, target, side, -1, 1);
    expect(Array.from(target)).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0]);
    shiftImage(source, target, side, 3, 0);
    expect(Array.from(target)).toEqual(new Array(9).fill(0));
  });
});
