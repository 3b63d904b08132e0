import { Graph, Random, ShapeError, input, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { correctPredictions, softmaxCrossEntropy } from "../src/index.js";
import { gradientError, normals, relErr, run } from "./helpers.js";

const rng = new Random(7);

/** Mean over kept rows of -log softmax(row)[label], in plain JS. */
function crossEntropyRef(logits: Float64Array, labels: Float64Array, classes: number, ignore: number): number {
  let total = 0;
  let count = 0;
  labels.forEach((label, r) => {
    if (label === ignore) return;
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    total += lse - row[label]!;
    count++;
  });
  return count === 0 ? 0 : total / count;
}

function lossOf(logits: Float64Array, labels: Float64Array, shape: number[], ignoreIndex?: number): number {
  const program = trace({ logits: input(shape), labels: input(shape.slice(0, -1)) }, (t) => softmaxCrossEntropy(t.logits, t.labels, ignoreIndex === undefined ? {} : { ignoreIndex }));
  return run(program, { logits, labels })["out"]![0]!;
}

describe("softmaxCrossEntropy", () => {
  it("equals a plain-JS cross-entropy, ignoring label -1 in the sum and the count", () => {
    const logits = normals(rng, [2, 3, 5], 3);
    const labels = Float64Array.from([0, 4, -1, 2, -1, 1]);
    const value = lossOf(logits, labels, [2, 3, 5]);
    expect(relErr([value], [crossEntropyRef(logits, labels, 5, -1)])).toBeLessThan(1e-14);
    // The mean is over 4 kept rows, not 6.
    expect(value).not.toBeCloseTo((crossEntropyRef(logits, labels, 5, -1) * 4) / 6, 3);
  });

  it("honours another ignoreIndex, even a real class, and is 0 when all are ignored", () => {
    const logits = normals(rng, [4, 3]);
    const labels = Float64Array.from([2, 0, 1, 2]);
    expect(relErr([lossOf(logits, labels, [4, 3], 2)], [crossEntropyRef(logits, labels, 3, 2)])).toBeLessThan(1e-14);
    expect(Math.abs(lossOf(logits, Float64Array.from([-1, -1, -1, -1]), [4, 3]))).toBe(0);
  });

  it("takes a single row: logits [C] and a scalar label", () => {
    const logits = Float64Array.from([0.5, -1, 2]);
    expect(relErr([lossOf(logits, Float64Array.from([1]), [3])], [crossEntropyRef(logits, Float64Array.from([1]), 3, -1)])).toBeLessThan(1e-14);
  });

  it("stays finite for huge logits", () => {
    const logits = Float64Array.from([1000, -1000, 0, 0, 800, -900]);
    const value = lossOf(logits, Float64Array.from([1, 1]), [2, 3]);
    expect(value).toBeCloseTo((2000 + 0) / 2, 8);
  });

  it("has logit gradients matching finite differences, zero on ignored rows", () => {
    const labels = Float64Array.from([3, -1, 0, 1, -1, 2]);
    const leaves = { logits: { shape: [6, 4], data: normals(rng, [6, 4]) }, labels: { shape: [6], data: labels, diff: false } };
    expect(gradientError(leaves, (t) => softmaxCrossEntropy(t["logits"]!, t["labels"]!))).toBeLessThan(1e-7);
  });

  it("refuses labels that do not match the logits' rows", () => {
    const g = new Graph();
    const logits = g.leaf("input", "logits", [8, 10]);
    expect(() => softmaxCrossEntropy(logits, g.leaf("input", "labels", [8, 10]))).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(logits, g.leaf("input", "y", [7]))).toThrow(
      "softmaxCrossEntropy: labels 'y' [7] must have the shape of logits 'logits' [8, 10] without its class axis",
    );
    expect(() => softmaxCrossEntropy(logits, g.leaf("input", "z", [8]), { ignoreIndex: NaN })).toThrow(/ignoreIndex must be a finite number/);
  });
});

describe("correctPredictions", () => {
  it("is 1 exactly where the unique argmax is the label", () => {
    const logits = Float64Array.from([
      0.1, 0.9, 0.3, // argmax 1
      2, -1, 0, // argmax 0
      0, 0, 5, // argmax 2
      1, 1, 0, // tie between 0 and 1
    ]);
    const labels = Float64Array.from([1, 2, 2, 0]);
    const program = trace({ logits: input([2, 2, 3]), labels: input([2, 2]) }, (t) => correctPredictions(t.logits, t.labels));
    expect(Array.from(run(program, { logits, labels })["out"]!)).toEqual([1, 0, 1, 0]);
  });

  it("checks shapes like the loss", () => {
    const g = new Graph();
    expect(() => correctPredictions(g.leaf("input", "l", [4, 3]), g.leaf("input", "y", [3]))).toThrow(/correctPredictions: labels 'y' \[3\]/);
  });
});
