import { describe, expect, it } from "vitest";
import { boxStats, quartiles } from "../src/index.js";

describe("quartiles", () => {
  it("interpolate between order statistics (R's and NumPy's default), whatever the input order", () => {
    expect(quartiles([4, 1, 3, 2])).toEqual({ min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
    // h = 5 * 0.25 = 1.25: 15 + 0.25 * (36 - 15); h = 3.75: 39 + 0.75 * (40 - 39).
    expect(quartiles([40, 7, 39, 15, 41, 36])).toEqual({ min: 7, q1: 20.25, median: 37.5, q3: 39.75, max: 41 });
    expect(quartiles([1, 2, 3, 4, 5])).toEqual({ min: 1, q1: 2, median: 3, q3: 4, max: 5 });
    expect(quartiles([7])).toEqual({ min: 7, q1: 7, median: 7, q3: 7, max: 7 });
  });

  it("refuse empty and non-finite samples", () => {
    expect(() => quartiles([])).toThrow(/no values/);
    expect(() => quartiles([1, Number.NaN])).toThrow(/NaN at index 1/);
    expect(() => quartiles([Infinity])).toThrow(/Infinity at index 0/);
  });
});

describe("boxStats", () => {
  it("puts whiskers at the last values within 1.5 IQR and the rest outside", () => {
    const s = boxStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 100]);
    // q1 at h = 2.25: 3.25; q3 at h = 6.75: 7.75; IQR 4.5; fences -3.5 and 14.5.
    expect(s).toMatchObject({ q1: 3.25, median: 5.5, q3: 7.75, whiskerLow: 1, whiskerHigh: 9, outliers: [100], count: 10 });
    expect(boxStats([-50, 1, 2, 3, 4]).outliers).toEqual([-50]);
    expect(boxStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 100).outliers).toEqual([]);
  });
});
