import { ReferenceBackend } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { CurvatureProducts, PREDICTED_SLOPES, additionTransformer, hutchinsonSquaredFrobenius, layoutOf, logGrid, logLogSlope, scalingStudy, transformerModel } from "../src/index.js";

describe("growth rates with the data scale", () => {
  it("fit the predicted slopes on a tiny grid (reference backend)", async () => {
    const result = await scalingStudy({ dModel: 6, sigmas: logGrid(1e-2, 1e-1, 3), seeds: 1, samples: 3, batch: 2, fitRange: [1e-2, 1e-1], backend: new ReferenceBackend() });
    expect(result.identicallyZero).toEqual(["V_functional"]);
    for (const series of ["V_outer", "Q_outer", "Q_functional", "Q_full", "linear_Q", "mlp"] as const) {
      expect(Math.abs(result.slopes[series] - PREDICTED_SLOPES[series]), series).toBeLessThan(0.15);
    }
    expect(Math.abs(result.slopes.preln_Q)).toBeLessThan(0.3);
  });

  it("stacked linear attention without residuals grows as sigma^(2 * 3^L) in its last layer", async () => {
    const sigmas = [0.05, 0.1];
    const norms: number[] = [];
    for (const sigma of sigmas) {
      const point = additionTransformer({ dModel: 4, batch: 1, seed: 1, sigma, variant: "linear", layers: 2, residual: false, mlp: false });
      const products = await CurvatureProducts.create(new ReferenceBackend(), point.model, { ...point, kinds: ["hessian"] });
      norms.push(Math.sqrt((await hutchinsonSquaredFrobenius(products.block("hessian", "Q.1"), { samples: 4 })).value));
    }
    expect(logLogSlope(sigmas, norms)).toBeCloseTo(18, 0);
  });

  it("parameterizes W_QK as one matrix, and rejects unknown variants and positions", () => {
    expect(layoutOf(transformerModel({ dModel: 4, vocab: 12, tokens: 5, batch: 1, lossPositions: [4], variant: "wqk" })).names).toEqual(["QK", "V", "O"]);
    expect(() => transformerModel({ dModel: 4, vocab: 12, tokens: 5, batch: 1, lossPositions: [4], variant: "cosine" as never })).toThrow(/unknown attention variant 'cosine'/);
    expect(() => transformerModel({ dModel: 4, vocab: 12, tokens: 5, batch: 1, lossPositions: [5] })).toThrow(/loss position 5 is outside the sequence of 5 tokens/);
    expect(() => logLogSlope([1], [1])).toThrow(/at least two/);
  });
});
