import { Random } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { projectPca } from "../src/pca.js";

describe("projectPca", () => {
  it("keeps every distance of points that lie in a plane of a 5-D space, across all arrays", () => {
    const rng = new Random(3);
    // Two orthonormal directions in 5-D and an offset: the points span exactly a plane.
    const u = [1, 1, 0, 0, 0].map((v) => v / Math.SQRT2);
    const v = [0, 0, 1, 1, 1].map((x) => x / Math.sqrt(3));
    const plane = (n: number): Float64Array => {
      const out = new Float64Array(n * 5);
      for (let p = 0; p < n; p++) {
        const [a, b] = [rng.normal(), rng.normal()];
        for (let j = 0; j < 5; j++) out[p * 5 + j] = 2 + a * u[j]! + b * v[j]!;
      }
      return out;
    };
    const arrays = [plane(6), plane(4)];
    const { coordinates, explained } = projectPca(arrays, 5, 2);
    expect(explained).toBeCloseTo(1, 10);
    const all = [...arrays[0]!, ...arrays[1]!];
    const projected = [...coordinates[0]!, ...coordinates[1]!];
    for (let p = 0; p < 10; p++) {
      for (let q = 0; q < p; q++) {
        const d5 = Math.hypot(...Array.from({ length: 5 }, (_, j) => all[p * 5 + j]! - all[q * 5 + j]!));
        const d2 = Math.hypot(projected[p * 2]! - projected[q * 2]!, projected[p * 2 + 1]! - projected[q * 2 + 1]!);
        expect(d2).toBeCloseTo(d5, 10);
      }
    }
  });

  it("rejects arrays that are not whole points and a dimension that is not a positive integer", () => {
    expect(() => projectPca([new Float64Array(6), new Float64Array(7)], 3, 2)).toThrow("PCA: array 1 has 7 values, not a whole number of 3-dimensional points");
    expect(() => projectPca([new Float64Array(6)], 0, 2)).toThrow("PCA: dim must be a positive integer, got 0");
  });
});
