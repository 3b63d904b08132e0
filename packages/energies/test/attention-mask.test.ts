import { Graph, Random, interpret, relativeError } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { softmaxBetaAttention } from "../src/index.js";

const n = 5;
const d = 3;

function attend(Y: Float64Array, Wa: Float64Array, mask?: Float64Array): Float64Array {
  const g = new Graph();
  const y = g.leaf("input", "Y", [n, d], "float64");
  const w = g.leaf("input", "Wa", [1, d, d], "float64");
  const m = mask ? g.constant(mask, [n, n], "float64") : undefined;
  const program = g.toProgram({ out: softmaxBetaAttention(y, w, m) });
  return interpret(program, new Map([["Y", Y], ["Wa", Wa]])).get("out")!;
}

const causal = Float64Array.from({ length: n * n }, (_, k) => (k % n > Math.floor(k / n) ? -1e9 : 0));

describe("softmaxBetaAttention with a mask", () => {
  const rng = new Random(2);
  const Y = rng.normals(n * d);
  const Wa = rng.normals(d * d, 0.5);

  it("equals the unmasked update under an all-zero mask", () => {
    expect(relativeError(attend(Y, Wa, new Float64Array(n * n)), attend(Y, Wa))).toBeLessThan(1e-15);
  });

  it("with a causal mask, token i never sees a later token", () => {
    const base = attend(Y, Wa, causal);
    const moved = Float64Array.from(Y);
    for (let c = 0; c < d; c++) moved[(n - 1) * d + c]! += 3;
    const after = attend(moved, Wa, causal);
    for (let k = 0; k < (n - 1) * d; k++) expect(after[k]).toBe(base[k]);
    // The first token attends only to itself.
    for (let c = 0; c < d; c++) expect(base[c]).toBeCloseTo(Y[c]!, 12);
    // Without the mask, moving the last token moves the first.
    expect(attend(moved, Wa)[0]).not.toBeCloseTo(attend(Y, Wa)[0]!, 6);
  });

  it("rejects a mask of the wrong shape", () => {
    const g = new Graph();
    const y = g.leaf("input", "Y", [n, d], "float64");
    const w = g.leaf("input", "Wa", [1, d, d], "float64");
    expect(() => softmaxBetaAttention(y, w, g.constant(new Float64Array(16), [4, 4], "float64"))).toThrow(/mask must have shape \[5, 5\] for 5 tokens, got \[4, 4\]/);
  });
});
