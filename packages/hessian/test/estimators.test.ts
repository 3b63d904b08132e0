import { ReferenceBackend, symmetricEigen } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  AttentionHessian,
  CurvatureProducts,
  attentionFeeds,
  attentionModel,
  densityTrace,
  denseOperator,
  frobenius,
  hutchinsonSquaredFrobenius,
  hutchinsonTrace,
  lanczos,
  powerIteration,
  randomAttentionInstance,
  spectralDensity,
  topEigenvalues,
} from "../src/index.js";

const instance = randomAttentionInstance({ tokens: 5, model: 3, key: 3, loss: "crossEntropy", seed: 11 });
const closed = new AttentionHessian(instance);
const H = closed.assemble();
const n = H.rows;
const eig = [...symmetricEigen(H.data, n).values].sort((a, b) => a - b);
const trace = eig.reduce((a, b) => a + b, 0);

async function products(): Promise<CurvatureProducts> {
  return CurvatureProducts.create(new ReferenceBackend(), attentionModel(closed.dims, "crossEntropy"), attentionFeeds(instance));
}

describe("Hutchinson estimators on autodiff products", () => {
  it("estimate tr(H) within their statistical tolerance", async () => {
    const p = await products();
    const est = await hutchinsonTrace(p.operator("hessian"), { samples: 200, seed: 1 });
    expect(est.stdError).toBeGreaterThan(0);
    expect(Math.abs(est.value - trace)).toBeLessThan(4 * est.stdError);
  });

  it("estimate the squared Frobenius norm of a (rectangular) block", async () => {
    const p = await products();
    const exact = frobenius(closed.block("QV")) ** 2;
    const est = await hutchinsonSquaredFrobenius(p.block("hessian", "Q", "V"), { samples: 200, seed: 2 });
    expect(Math.abs(est.value - exact)).toBeLessThan(4 * est.stdError);
  });

  it("reject a non-square trace and a bad sample count", async () => {
    await expect(hutchinsonTrace(denseOperator({ rows: 2, cols: 3, data: new Float64Array(6) }), { samples: 4 })).rejects.toThrow(/needs a square operator, got 2 x 3/);
    await expect(hutchinsonSquaredFrobenius(denseOperator(H), { samples: 0 })).rejects.toThrow(/samples must be an integer >= 1, got 0/);
  });
});

describe("eigenvalue estimators", () => {
  it("Lanczos finds the top eigenvalues of the autodiff Hessian", async () => {
    const p = await products();
    const top = await topEigenvalues(p.operator("hessian"), 3, { steps: n, seed: 3 });
    for (let k = 0; k < 3; k++) expect(top[k]!).toBeCloseTo(eig[n - 1 - k]!, 9);
  });

  it("power iteration finds the eigenvalue of largest magnitude", async () => {
    const dominant = Math.abs(eig[0]!) > Math.abs(eig[n - 1]!) ? eig[0]! : eig[n - 1]!;
    const result = await powerIteration(denseOperator(H), { iterations: 5000, tolerance: 1e-13, seed: 4 });
    expect(result.eigenvalue).toBeCloseTo(dominant, 6);
  });

  it("stochastic Lanczos quadrature reproduces spectral moments", async () => {
    const density = await spectralDensity(denseOperator(H), { steps: n, probes: 40, seed: 5 });
    const weights = [...density.weights].reduce((a, b) => a + b, 0);
    expect(weights).toBeCloseTo(1, 10);
    // With a full Krylov space each probe is exact for v^T f(H) v; the average over probes estimates tr f(H) / n.
    const secondMoment = eig.reduce((a, b) => a + b * b, 0) / n;
    expect(Math.abs(densityTrace(density, (x) => x * x) - secondMoment) / secondMoment).toBeLessThan(0.35);
    const extremes = await lanczos(denseOperator(H), { steps: n, seed: 6 });
    expect(extremes.ritzValues[0]!).toBeCloseTo(eig[0]!, 9);
  });
});
