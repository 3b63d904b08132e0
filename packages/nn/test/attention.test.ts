import { Graph, Random, ShapeError, input, param, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { multiHeadAttention } from "../src/index.js";
import { gradientError, normals, relErr, run } from "./helpers.js";
import { attentionRef } from "./reference.js";

const rng = new Random(3);
const [B, T, D, A, E, OUT, H] = [2, 4, 6, 4, 6, 5, 2];

/** Rectangular widths (a != e != out != d), so a mixed-up projection cannot pass. */
const weights: Record<string, { shape: number[]; data: Float64Array }> = {
  Wq: { shape: [D, A], data: normals(rng, [D, A], 0.5) },
  Wk: { shape: [D, A], data: normals(rng, [D, A], 0.5) },
  Wv: { shape: [D, E], data: normals(rng, [D, E], 0.5) },
  Wo: { shape: [E, OUT], data: normals(rng, [E, OUT], 0.5) },
  bq: { shape: [A], data: normals(rng, [A], 0.1) },
  bk: { shape: [A], data: normals(rng, [A], 0.1) },
  bv: { shape: [E], data: normals(rng, [E], 0.1) },
  bo: { shape: [OUT], data: normals(rng, [OUT], 0.1) },
};
const names = Object.keys(weights);

function attentionProgram(causal: boolean) {
  const leaves = { x: input([B, T, D]), ...Object.fromEntries(names.map((n) => [n, param(weights[n]!.shape)])) };
  return trace(leaves, (t) => multiHeadAttention(t.x, t as never, { heads: H, causal }));
}

function feeds(x: Float64Array): Record<string, Float64Array> {
  return { x, ...Object.fromEntries(names.map((n) => [n, weights[n]!.data])) };
}

function reference(x: Float64Array, causal: boolean): Float64Array {
  const w = Object.fromEntries(names.map((n) => [n, weights[n]!.data]));
  const out = new Float64Array(B * T * OUT);
  for (let b = 0; b < B; b++) out.set(attentionRef(x.subarray(b * T * D, (b + 1) * T * D), T, D, w, H, causal), b * T * OUT);
  return out;
}

describe("multiHeadAttention", () => {
  const x = normals(rng, [B, T, D]);

  for (const causal of [false, true]) {
    it(`matches a plain-loop reference (causal: ${causal})`, () => {
      const y = run(attentionProgram(causal), feeds(x))["out"]!;
      expect(relErr(y, reference(x, causal))).toBeLessThan(1e-13);
    });

    it(`has gradients matching finite differences for x and every weight (causal: ${causal})`, () => {
      const leaves = { x: { shape: [B, T, D], data: x }, ...weights };
      expect(gradientError(leaves, (t) => multiHeadAttention(t["x"]!, t as never, { heads: H, causal }))).toBeLessThan(1e-6);
    });
  }

  it("with a causal mask, a later token never changes an earlier output", () => {
    const causal = attentionProgram(true);
    const open = attentionProgram(false);
    const base = run(causal, feeds(x))["out"]!;
    const baseOpen = run(open, feeds(x))["out"]!;
    for (let j = 1; j < T; j++) {
      const moved = x.slice();
      for (let c = 0; c < D; c++) moved[j * D + c]! += 3; // token j of sequence 0
      const y = run(causal, feeds(moved))["out"]!;
      for (let i = 0; i < T; i++) {
        const row = (s: Float64Array): number[] => Array.from(s.subarray(i * OUT, (i + 1) * OUT));
        if (i < j) expect(row(y)).toEqual(row(base));
        else expect(row(y)).not.toEqual(row(base));
      }
      // The other sequence of the batch is untouched either way.
      expect(Array.from(y.subarray(T * OUT))).toEqual(Array.from(base.subarray(T * OUT)));
      // Without the mask, the earlier outputs do move: the check above can fail.
      const yOpen = run(open, feeds(moved))["out"]!;
      expect(Array.from(yOpen.subarray(0, OUT))).not.toEqual(Array.from(baseOpen.subarray(0, OUT)));
    }
  });

  it("names mismatched weights", () => {
    const g = new Graph();
    const xs = g.leaf("input", "x", [2, 4, 6]);
    const W = (n: string, s: number[]) => g.leaf("param", n, s);
    const p = { Wq: W("Wq", [6, 4]), Wk: W("Wk", [6, 4]), Wv: W("Wv", [6, 6]), Wo: W("Wo", [6, 6]) };
    expect(() => multiHeadAttention(xs, p, { heads: 3 })).toThrow(/multiHeadAttention: the output width of Wq 'Wq' \[6, 4\] does not split into 3 heads/);
    expect(() => multiHeadAttention(xs, { ...p, Wk: W("Wk2", [5, 4]) }, { heads: 2 })).toThrow(ShapeError);
    expect(() => multiHeadAttention(xs, { ...p, Wo: W("Wo2", [4, 6]) }, { heads: 2 })).toThrow(/Wo 'Wo2' \[4, 6\] must take the value width/);
    expect(() => multiHeadAttention(xs, { ...p, bq: W("bq", [6]) }, { heads: 2 })).toThrow(/bq 'bq' \[6\] must be a vector of the output width of Wq/);
    expect(() => multiHeadAttention(xs, p, { heads: 0 })).toThrow(/heads must be an integer >= 1/);
  });
});
