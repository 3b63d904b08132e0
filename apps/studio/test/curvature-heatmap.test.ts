// The matrix heatmap's input check, which runs before any drawing (so no DOM is needed here).
import { describe, expect, it } from "vitest";
import { drawMatrix, poolLargest } from "../src/heatmap.js";

describe("drawMatrix", () => {
  it("rejects values that do not fill the matrix, naming the figure and both counts", () => {
    const parent = {} as HTMLElement;
    const base = { title: "H(Q, Q)", label: "H", description: "a block" };
    expect(() => drawMatrix(parent, { ...base, rows: 2, cols: 3, values: [1, 2, 3, 4, 5] })).toThrow("heatmap 'H(Q, Q)': 5 values do not fill a 2 x 3 matrix");
    expect(() => drawMatrix(parent, { ...base, rows: 2, cols: 2, values: [1, 2, 3, 4, 5] })).toThrow("heatmap 'H(Q, Q)': 5 values do not fill a 2 x 2 matrix");
  });

  it("pools a large matrix to the entry of largest magnitude per cell, keeping its sign", () => {
    // 3 x 5 by 2: cells of rows {0,1},{2} and columns {0,1},{2,3},{4}.
    const values = [1, -4, 0, 2, 7, 3, 0.5, -1, 0, -8, 0, 9, -2, 1, 0];
    const pooled = poolLargest(3, 5, values, 2);
    expect([pooled.rows, pooled.cols]).toEqual([2, 3]);
    expect(Array.from(pooled.values)).toEqual([-4, 2, -8, 9, -2, 0]);
  });
});
