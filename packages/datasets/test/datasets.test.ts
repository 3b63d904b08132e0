import { describe, expect, it } from "vitest";
import { MNIST_SIDE, loadMnist, mnistClassCounts, patchTokens } from "../src/index.js";

describe("bundled MNIST", () => {
  it("ships about 1,000 digits per class, 10,000 in all", () => {
    const counts = mnistClassCounts();
    expect(counts).toHaveLength(10);
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
  });

  it("loads a balanced, deterministic prefix with pixels in [0, 1] and real ink", () => {
    const a = loadMnist({ count: 20 });
    const b = loadMnist({ count: 20 });
    expect(Array.from(a.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.images).toEqual(b.images);
    expect(Math.min(...a.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.images)).toBeLessThanOrEqual(1);
    for (let k = 0; k < 20; k++) {
      const ink = a.images.subarray(k * 784, (k + 1) * 784).reduce((s, v) => s + v, 0);
      expect(ink).toBeGreaterThan(20);
    }
    // Consecutive windows do not overlap.
    const next = loadMnist({ count: 10, start: 10 });
    expect(next.images).toEqual(a.images.subarray(10 * 784));
  });

  it("rejects a window past the bundled data", () => {
    expect(() => loadMnist({ count: 0 })).toThrow(/count >= 1/);
    expect(() => loadMnist({ count: 5, start: 1e6 })).toThrow(/start \+ count <=/);
  });
});

describe("patchTokens", () => {
  it("puts each pixel in the right token and position", () => {
    const side = 4;
    const images = Float64Array.from({ length: 2 * side * side }, (_, i) => i);
    const { tokens, n, d } = patchTokens(images, 2, side, 2);
    expect([n, d]).toEqual([4, 4]);
    // Image 1, patch (row 1, col 0), pixel (1, 1) -> image pixel (3, 1).
    const token = 1 * n + 2;
    expect(tokens[token * d + 3]).toBe(16 + 3 * side + 1);
    expect(Array.from(tokens.subarray(0, 4))).toEqual([0, 1, 4, 5]);
  });

  it("tokenizes real digits losslessly", () => {
    const { images } = loadMnist({ count: 3 });
    const { tokens } = patchTokens(images, 3, MNIST_SIDE, 7);
    expect(tokens.reduce((s, v) => s + v, 0)).toBeCloseTo(images.reduce((s, v) => s + v, 0), 9);
  });

  it("rejects a patch size that does not divide the image", () => {
    expect(() => patchTokens(new Float64Array(784), 1, 28, 5)).toThrow(/divisor/);
  });
});
