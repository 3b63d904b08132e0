import { ANSWER_POSITIONS, decodeAddition } from "@unfold/hessian/data";
import { describe, expect, it } from "vitest";
import { additionTask } from "../src/data/addition.js";
import { recallTask } from "../src/data/recall.js";
import { inputShape, targetShape } from "@unfold/training";

describe("additionTask", () => {
  const task = additionTask({ train: 200, test: 50, seed: 3 });

  it("has the paper's shapes: 17 input ids over 12 symbols, a label per position", () => {
    expect(task.input).toEqual({ kind: "ids", tokens: 17, vocab: 12 });
    expect(task.target).toEqual({ kind: "tokens", classes: 12 });
    expect([task.trainCount, task.testCount]).toEqual([200, 50]);
    expect(inputShape(task, 4)).toEqual([4, 17]);
    expect(targetShape(task, 4)).toEqual([4, 17]);
    expect(task.labels).toHaveLength(12);
  });

  it("asks for the sum's digits at the answer positions and nothing elsewhere", () => {
    for (const split of ["train", "test"] as const) {
      const count = split === "train" ? 200 : 50;
      const batch = task.batch(split, Array.from({ length: count }, (_, i) => i));
      for (let n = 0; n < count; n++) {
        const inputs = Array.from(batch.inputs.subarray(n * 17, (n + 1) * 17));
        const targets = Array.from(batch.targets.subarray(n * 17, (n + 1) * 17));
        const text = decodeAddition(inputs);
        const match = /^(\d{5})\+(\d{5})=(\d{5})$/.exec(text);
        expect(match, text).not.toBeNull();
        const sum = String(Number(match![1]) + Number(match![2])).padStart(6, "0");
        // The model sees the first five answer digits as context; the sixth only as a target.
        expect(match![3]).toBe(sum.slice(0, 5));
        const answer = ANSWER_POSITIONS.map((p) => targets[p]!);
        expect(answer.join("")).toBe(sum);
        targets.forEach((t, p) => {
          if (!ANSWER_POSITIONS.includes(p)) expect(t).toBe(-1);
        });
      }
    }
  });

  it("is fixed by its seed and keeps test problems out of training", () => {
    const again = additionTask({ train: 200, test: 50, seed: 3 });
    const all = (t: typeof task, split: "train" | "test", n: number) => t.batch(split, Array.from({ length: n }, (_, i) => i)).inputs;
    expect(all(again, "train", 200)).toEqual(all(task, "train", 200));
    expect(all(additionTask({ train: 200, test: 50, seed: 4 }), "train", 200)).not.toEqual(all(task, "train", 200));
    const problems = (inputs: Float64Array, n: number) => Array.from({ length: n }, (_, k) => decodeAddition(inputs.subarray(k * 17, k * 17 + 12)));
    const train = new Set(problems(all(task, "train", 200), 200));
    expect(train.size).toBe(200);
    for (const p of problems(all(task, "test", 50), 50)) expect(train.has(p)).toBe(false);
  });

  it("rejects bad sizes", () => {
    expect(() => additionTask({ train: 0, test: 1, seed: 1 })).toThrow(/train >= 1/);
    expect(() => additionTask({ train: 1, test: 1, seed: 0.5 })).toThrow(/seed/);
  });
});

describe("recallTask", () => {
  const options = { train: 300, test: 40, pairs: 4, keys: 8, values: 5, seed: 9 };
  const task = recallTask(options);

  it("lays out keys then values in one vocabulary, 2 * pairs + 1 tokens", () => {
    expect(task.input).toEqual({ kind: "ids", tokens: 9, vocab: 13 });
    expect(task.target).toEqual({ kind: "tokens", classes: 13 });
    expect(task.labels).toEqual(["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "v0", "v1", "v2", "v3", "v4"]);
    expect(targetShape(task, 2)).toEqual([2, 9]);
  });

  it("asks, at the last position only, for the value paired with the query key", () => {
    const batch = task.batch("train", Array.from({ length: 300 }, (_, i) => i));
    const askedSlots = new Set<number>();
    for (let n = 0; n < 300; n++) {
      const seq = Array.from(batch.inputs.subarray(n * 9, (n + 1) * 9));
      const targets = Array.from(batch.targets.subarray(n * 9, (n + 1) * 9));
      const keys = [0, 2, 4, 6].map((i) => seq[i]!);
      const values = [1, 3, 5, 7].map((i) => seq[i]!);
      for (const k of keys) expect(k >= 0 && k < 8).toBe(true);
      for (const v of values) expect(v >= 8 && v < 13).toBe(true);
      expect(new Set(keys).size).toBe(4);
      const slot = keys.indexOf(seq[8]!);
      expect(slot).toBeGreaterThanOrEqual(0);
      askedSlots.add(slot);
      expect(targets[8]).toBe(values[slot]);
      expect(targets.slice(0, 8)).toEqual(new Array(8).fill(-1));
    }
    // The query is not always the same pair.
    expect(askedSlots.size).toBe(4);
  });

  it("is fixed by its seed", () => {
    const idx = [0, 1, 2, 3];
    expect(recallTask(options).batch("test", idx)).toEqual(task.batch("test", idx));
    expect(recallTask({ ...options, seed: 10 }).batch("test", idx).inputs).not.toEqual(task.batch("test", idx).inputs);
  });

  it("rejects more pairs than keys", () => {
    expect(() => recallTask({ ...options, pairs: 9 })).toThrow(/9 pairs need at least 9 distinct keys/);
    expect(() => recallTask({ ...options, values: 0 })).toThrow(/values must be an integer >= 1/);
  });
});
