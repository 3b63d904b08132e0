import { Random } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { CORRUPTIONS, corrupt, unitNorm } from "../src/hopfield/corruption.js";

const SIDE = 28;
const ones = (): Float64Array => new Float64Array(SIDE * SIDE).fill(1);

describe("the retrieval task's corruptions", () => {
  it("leave the image as it is at level 0", () => {
    const image = new Random(1).uniforms(SIDE * SIDE);
    for (const kind of CORRUPTIONS) expect(corrupt(image, kind, 0, new Random(2))).toEqual(image);
  });

  it("'rows' zeroes exactly the bottom round(level * 28) rows and nothing above them", () => {
    for (const [level, rows] of [[0.5, 14], [0.1, 3], [0.9, 25]] as const) {
      const out = corrupt(ones(), "rows", level, new Random(0));
      for (let r = 0; r < SIDE; r++) {
        const row = Array.from(out.subarray(r * SIDE, (r + 1) * SIDE));
        expect(row.every((v) => v === (r >= SIDE - rows ? 0 : 1)), `row ${r} at level ${level}`).toBe(true);
      }
    }
  });

  it("'pixels' zeroes exactly round(level * 784) distinct pixels, different ones for different draws", () => {
    const zeros = (a: Float64Array): number[] => Array.from(a.keys()).filter((i) => a[i] === 0);
    const rng = new Random(3);
    const first = zeros(corrupt(ones(), "pixels", 0.3, rng));
    const second = zeros(corrupt(ones(), "pixels", 0.3, rng));
    expect(first.length).toBe(Math.round(0.3 * 784));
    expect(second.length).toBe(Math.round(0.3 * 784));
    expect(second).not.toEqual(first);
  });

  it("'noise' adds zero-mean Gaussian noise of standard deviation level to every pixel", () => {
    const image = ones();
    const out = corrupt(image, "noise", 0.5, new Random(4));
    const diff = Array.from(out, (v, i) => v - image[i]!);
    const mean = diff.reduce((s, d) => s + d, 0) / diff.length;
    const sd = Math.sqrt(diff.reduce((s, d) => s + (d - mean) ** 2, 0) / diff.length);
    // 784 seeded draws: 0.05 is about 3 standard errors of the mean and 4 of the deviation.
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.05);
    expect(diff.filter((d) => d === 0)).toEqual([]);
  });

  it("unitNorm scales to norm 1 and leaves a zero vector zero", () => {
    const v = unitNorm(Float64Array.from([3, 4]));
    expect(Array.from(v)).toEqual([0.6, 0.8]);
    expect(Array.from(unitNorm(new Float64Array(3)))).toEqual([0, 0, 0]);
  });
});
