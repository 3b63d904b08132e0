import { hostTensor } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { hasYangAttention, yangAttentionWeights } from "../src/attention.js";
import { sceneNamed } from "../src/scenes.js";

describe("yangAttentionWeights", () => {
  it("gives exp(-||y_i - y_j||^2 / 2) normalized over j under W_a = I, reading the first sequence and the chosen head", () => {
    // Two heads: head 0 is twice the identity (distances doubled), head 1 the identity.
    const Wa = hostTensor(Float64Array.from([2, 0, 0, 2, 1, 0, 0, 1]), [2, 2, 2], "float64");
    // Batch of two sequences of three 2-D tokens; the second must be ignored.
    const state = Float64Array.from([0, 0, 1, 0, 0, 2, 9, 9, 9, 9, 9, 9]);
    const { tokens, weights } = yangAttentionWeights(state, [2, 3, 2], Wa, 1);
    expect(tokens).toBe(3);
    const y = [[0, 0], [1, 0], [0, 2]];
    for (let i = 0; i < 3; i++) {
      const raw = y.map((yj) => Math.exp(-0.5 * ((y[i]![0]! - yj[0]!) ** 2 + (y[i]![1]! - yj[1]!) ** 2)));
      const total = raw.reduce((a, b) => a + b, 0);
      for (let j = 0; j < 3; j++) expect(weights[i * 3 + j]).toBeCloseTo(raw[j]! / total, 14);
    }
    const head0 = yangAttentionWeights(state, [2, 3, 2], Wa, 0).weights;
    expect(head0[1]).toBeCloseTo(Math.exp(-2) / (1 + Math.exp(-2) + Math.exp(-8)), 14);
  });

  it("is there for the scenes with a Yang attention term only", () => {
    expect(hasYangAttention(sceneNamed("yang").build("float64").params[0]!)).toBe(true);
    expect(hasYangAttention(sceneNamed("points-2d").build("float64").params[0]!)).toBe(true);
    expect(hasYangAttention(sceneNamed("hopfield").build("float64").params[0]!)).toBe(false);
  });

  it("rejects a state of another width than W_a's and a head W_a does not have, naming them", () => {
    const Wa = hostTensor(new Float64Array(8), [2, 2, 2], "float64");
    expect(() => yangAttentionWeights(new Float64Array(9), [3, 3], Wa)).toThrow("attention weights: the state [3, 3] is not of width 2, the width of Wa [2, 2, 2]");
    expect(() => yangAttentionWeights(new Float64Array(6), [3, 2], Wa, 2)).toThrow("attention weights: head 2 is not one of Wa's 2 heads");
  });
});
