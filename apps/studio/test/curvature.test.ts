// The curvature view's numbers against @unfold/hessian: the closed-form blocks of the scene's
// attention instance against the core's autodiff Hessian of the same instance, the growth curves
// against the package's blocks and slope fit, and the predicted growth rates on the scenes' tokens.
import { ReferenceBackend, hostTensor, relativeError } from "@unfold/core";
import {
  CANONICAL_BLOCKS,
  CurvatureProducts,
  PREDICTED_SLOPES,
  assembleDense,
  attentionFeeds,
  attentionHessian,
  attentionModel,
  blockOf,
  frobenius,
  logLogSlope,
  randomAttentionInstance,
} from "@unfold/hessian";
import { describe, expect, it } from "vitest";
import { hessianBlocks } from "../src/curvature-view/blocks.js";
import { FIT_RANGE, GROWTH_SERIES, growthCurves, growthPoint } from "../src/curvature-view/growth.js";
import { CURVATURE_SEED, sceneAttentionInstance } from "../src/curvature-view/instance.js";
import { SCENES, sceneNamed } from "../src/scenes.js";

describe("the curvature view's attention instance", () => {
  it("is the scene's first sequence rescaled to standard deviation sigma, under the seeded head", () => {
    const state = sceneNamed("yang").build("float64").state;
    const [, n, d] = state.shape as [number, number, number];
    const instance = sceneAttentionInstance(state, "yang", 0.3);
    expect([instance.X.rows, instance.X.cols]).toEqual([n, d]);
    const x = instance.X.data;
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    expect(std).toBeCloseTo(0.3, 12);
    // A multiple of the first sequence alone (the second sequence starts at n * d).
    const first = Float64Array.from(state.data as ArrayLike<number>).subarray(0, n * d);
    const ratio = x[0]! / first[0]!;
    for (let k = 0; k < n * d; k++) expect(x[k]).toBeCloseTo(first[k]! * ratio, 12);
    const head = randomAttentionInstance({ tokens: n, model: d, key: d, loss: "mse", seed: CURVATURE_SEED });
    expect(instance.WQ.data).toEqual(head.WQ.data);
    expect(instance.WV.data).toEqual(head.WV.data);
    expect(instance.target.data).toEqual(head.target.data);
  });

  it("rejects tokens without a sequence axis, tokens that are all equal, and a data scale that is not positive, naming them", () => {
    const state = sceneNamed("points-2d").build("float64").state;
    expect(() => sceneAttentionInstance(hostTensor(new Float64Array(4), [4], "float64"), "flat", 1)).toThrow("curvature: the tokens of 'flat' have shape [4]; a sequence needs [..., tokens, width]");
    expect(() => sceneAttentionInstance(hostTensor(new Float64Array(6).fill(2), [3, 2], "float64"), "constant", 1)).toThrow(
      "curvature: the first sequence of 'constant' ([3, 2]) has every entry 2, so it has no scale to rescale to 1",
    );
    expect(() => sceneAttentionInstance(state, "points-2d", 0)).toThrow("curvature: the data scale must be a positive number, got 0");
    expect(() => sceneAttentionInstance(state, "points-2d", Number.NaN)).toThrow("curvature: the data scale must be a positive number, got NaN");
    expect(() => sceneAttentionInstance(state, "points-2d", Infinity)).toThrow("curvature: the data scale must be a positive number, got Infinity");
  });
});

describe("the curvature view's Hessian blocks", () => {
  it.each(["points-2d", "points-3d"])("equal the core's autodiff Hessian of the same instance (%s, float64)", async (name) => {
    const instance = sceneAttentionInstance(sceneNamed(name).build("float64").state, name, 0.7);
    const blocks = hessianBlocks(instance);
    expect(blocks.map((b) => b.name)).toEqual([...CANONICAL_BLOCKS]);
    const closed = attentionHessian(instance);
    const products = await CurvatureProducts.create(new ReferenceBackend(), attentionModel(closed.dims, "mse"), attentionFeeds(instance));
    const dense = await assembleDense(products.operator("hessian"));
    products.dispose();
    for (const b of blocks) {
      const want = blockOf(closed, dense, b.name);
      expect([b.rows, b.cols]).toEqual([want.rows, want.cols]);
      expect(relativeError(b.values, want.data)).toBeLessThanOrEqual(1e-9);
      expect(b.frobenius).toBeCloseTo(frobenius(want), 9);
      // Not a block of zeros: the comparison says something.
      expect(b.frobenius).toBeGreaterThan(0);
    }
  });
});

describe("the curvature view's growth curves", () => {
  it("are the package's block norms at each data scale, with the slopes fitted over the study's range", () => {
    const state = sceneNamed("hopfield").build("float64").state;
    const curves = growthCurves(state, "hopfield");
    expect(curves.sigmas.length).toBe(10);
    expect(curves.sigmas[0]).toBeCloseTo(1e-2, 15);
    expect(curves.sigmas.at(-1)).toBeCloseTo(10, 12);
    for (const [k, sigma] of curves.sigmas.entries()) {
      const h = attentionHessian(sceneAttentionInstance(state, "hopfield", sigma));
      expect(curves.norms.V_outer[k]).toBe(frobenius(h.block("VV", "outer")));
      expect(curves.norms.V_full[k]).toBe(frobenius(h.block("VV", "full")));
      expect(curves.norms.Q_outer[k]).toBe(frobenius(h.block("QQ", "outer")));
      expect(curves.norms.Q_functional[k]).toBe(frobenius(h.block("QQ", "functional")));
      expect(curves.norms.Q_full[k]).toBe(frobenius(h.block("QQ", "full")));
    }
    const fit = curves.sigmas.flatMap((s, i) => (s <= FIT_RANGE[1] * (1 + 1e-9) ? [i] : []));
    expect(fit.length).toBe(4);
    for (const s of GROWTH_SERIES) {
      expect(curves.slopes[s]).toBe(logLogSlope(fit.map((i) => curves.sigmas[i]!), fit.map((i) => curves.norms[s][i]!)));
      expect(curves.predicted[s]).toBe(PREDICTED_SLOPES[s]);
    }
    const point = growthPoint(state, "hopfield", curves.sigmas[3]!);
    for (const s of GROWTH_SERIES) expect(point[s]).toBe(curves.norms[s][3]);
  });

  it("grow at the predicted rates below saturation on every scene's tokens (V as sigma^2, Q's Gauss-Newton part as sigma^6, its functional part as sigma^5)", () => {
    const timings: string[] = [];
    const slopes: string[] = [];
    for (const scene of SCENES) {
      const start = performance.now();
      const curves = growthCurves(scene.build("float64").state, scene.name);
      timings.push(`${scene.name} ${(performance.now() - start).toFixed(0)} ms`);
      slopes.push(`${scene.name} ${GROWTH_SERIES.map((s) => curves.slopes[s]!.toFixed(2)).join("/")}`);
      // Within a quarter of a power: the fit's four points reach sigma 0.1, where the functional
      // part's residual starts to move with sigma.
      expect(Math.abs(curves.slopes.V_outer! - 2)).toBeLessThan(0.25);
      expect(Math.abs(curves.slopes.Q_outer! - 6)).toBeLessThan(0.25);
      expect(Math.abs(curves.slopes.Q_functional! - 5)).toBeLessThan(0.25);
    }
    console.log(`curvature growth curves (10 data scales, closed form): ${timings.join(", ")}; slopes ${GROWTH_SERIES.join("/")}: ${slopes.join(", ")}`);
  });
});
