import { describe, expect, it } from "vitest";
import { mixSeed, stepsPerEpoch, trainBatchIndices } from "@unfold/training";

describe("stepsPerEpoch", () => {
  it("counts full batches only", () => {
    expect(stepsPerEpoch(100, 32)).toBe(3);
    expect(stepsPerEpoch(96, 32)).toBe(3);
    expect(stepsPerEpoch(5, 5)).toBe(1);
  });

  it("rejects a batch larger than the split and bad sizes", () => {
    expect(() => stepsPerEpoch(10, 11)).toThrow(/batch size 11 is larger than the train split \(10 examples\)/);
    expect(() => stepsPerEpoch(10, 0)).toThrow(/batch size must be an integer >= 1/);
    expect(() => stepsPerEpoch(0, 1)).toThrow(/at least 1 example/);
  });
});

describe("trainBatchIndices", () => {
  const base = { count: 103, batchSize: 10, seed: 42 };

  it("covers each example at most once per epoch, dropping only the partial batch", () => {
    for (const epoch of [0, 1, 5]) {
      const seen: number[] = [];
      for (let s = 0; s < 10; s++) {
        const batch = trainBatchIndices({ ...base, step: epoch * 10 + s });
        expect(batch).toHaveLength(10);
        seen.push(...batch);
      }
      expect(new Set(seen).size).toBe(100);
      for (const i of seen) expect(i >= 0 && i < 103).toBe(true);
    }
  });

  it("covers every example exactly once per epoch when the batch divides the split", () => {
    const seen = Array.from({ length: 4 }, (_, s) => [...trainBatchIndices({ count: 12, batchSize: 3, seed: 1, step: s })]).flat();
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it("is a function of its arguments: the same step gives the same batch in any order of calls", () => {
    const forward = Array.from({ length: 25 }, (_, step) => trainBatchIndices({ ...base, step }));
    const backward = Array.from({ length: 25 }, (_, k) => trainBatchIndices({ ...base, step: 24 - k })).reverse();
    expect(backward).toEqual(forward);
    // Interleaving another run's calls (a different seed) changes nothing.
    trainBatchIndices({ ...base, seed: 7, step: 3 });
    expect(trainBatchIndices({ ...base, step: 12 })).toEqual(forward[12]);
  });

  it("shuffles differently each epoch and for each seed", () => {
    const epoch0 = [...trainBatchIndices({ ...base, step: 0 })];
    const epoch1 = [...trainBatchIndices({ ...base, step: 10 })];
    const otherSeed = [...trainBatchIndices({ ...base, seed: 43, step: 0 })];
    expect(epoch1).not.toEqual(epoch0);
    expect(otherSeed).not.toEqual(epoch0);
    // And is not the identity order.
    expect(epoch0).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it("rejects a negative or fractional step", () => {
    expect(() => trainBatchIndices({ ...base, step: -1 })).toThrow(/step must be an integer >= 0/);
    expect(() => trainBatchIndices({ ...base, step: 1.5 })).toThrow(/step must be an integer >= 0/);
  });
});

describe("mixSeed", () => {
  it("separates seeds that simple sums would collide", () => {
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(0, 1)).not.toBe(mixSeed(1, 0));
    expect(mixSeed(5)).not.toBe(mixSeed(5 + 2 ** 32));
    expect(mixSeed(3, 4)).toBe(mixSeed(3, 4));
    expect(() => mixSeed(0.5)).toThrow(/safe integers/);
  });
});
