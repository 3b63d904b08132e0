import { ReferenceBackend, Random, UnfoldError, defineUnfolding, gradients, hostTensor, input, runUnfolding, solve, symmetricEigen, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { clipSpectrum, feedForwardEnergy, feedForwardStep, feedForwardStepBound } from "../src/index.js";
import { matmul, randomSymmetric, run } from "./helpers.js";

function ffProgram(n: number, d: number, alpha: number) {
  const energy = feedForwardEnergy({ dim: d });
  const term = energy.terms[0]!;
  return trace({ Y: input([n, d]), Wf: input([d, d]), b: input([d]) }, ({ Y, Wf, b }, graph) => {
    const p = { Wf, b };
    const a = graph.constant(alpha, [], "float64");
    const e = term.value(Y, p);
    const [g] = gradients(e, [Y]);
    const projected = feedForwardStep(energy, { stepSize: alpha }).apply(Y, p, a);
    const projectedAutodiff = feedForwardStep(energy, { stepSize: alpha, gradient: "autodiff" }).apply(Y, p, a);
    return { e, closed: term.closedForm!(Y, p, a), autodiff: Y.sub(g!.mul(alpha)), projected, projectedAutodiff, eProjected: term.value(projected, p), eClosed: term.value(term.closedForm!(Y, p, a), p) };
  });
}

describe("Yang feed-forward energy", () => {
  it("its closed-form step is the autodiff gradient step: Y((1-a)I - a W_f) + a 1 b^T", () => {
    const rng = new Random(1);
    const [n, d, alpha] = [6, 4, 0.37];
    const Wf = clipSpectrum(randomSymmetric(rng, d, 0.5), d);
    const Y = rng.normals(n * d);
    const b = rng.normals(d);
    const out = run(ffProgram(n, d, alpha), { Y, Wf, b });
    const map = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) map[i * d + j] = (i === j ? 1 - alpha : 0) - alpha * Wf[i * d + j]!;
    const expected = matmul(Y, map, n, d, d).map((v, k) => v + alpha * b[k % d]!);
    out["closed"]!.forEach((v, k) => {
      expect(Math.abs(v - out["autodiff"]![k]!)).toBeLessThanOrEqual(1e-13);
      expect(Math.abs(v - expected[k]!)).toBeLessThanOrEqual(1e-13);
    });
    // Both ways of taking the step (declared closed form, autodiff) are ReLU of the gradient step.
    out["projected"]!.forEach((v, k) => expect(Math.abs(v - Math.max(0, out["autodiff"]![k]!))).toBeLessThanOrEqual(1e-13));
    out["projectedAutodiff"]!.forEach((v, k) => expect(v).toBe(Math.max(0, out["autodiff"]![k]!)));
  });

  it("below the bound 2/(1 + lambda_max) the ReLU step never raises E_ff from a non-negative state", () => {
    const rng = new Random(2);
    for (let t = 0; t < 150; t++) {
      const n = rng.int(2, 10);
      const d = rng.int(2, 7);
      const Wf = clipSpectrum(randomSymmetric(rng, d, 1), d, -0.95, 0.95);
      const { bound } = feedForwardStepBound(Wf, d);
      const alpha = bound * (0.02 + 0.97 * rng.uniform());
      const out = run(ffProgram(n, d, alpha), { Y: rng.uniforms(n * d, 0, 2), Wf, b: rng.normals(d) });
      expect(out["eProjected"]![0]!).toBeLessThanOrEqual(out["e"]![0]! + 1e-12 * Math.abs(out["e"]![0]!));
    }
  });

  it("the bound is tight: just above it, a step along the top eigenvector raises E_ff", () => {
    const rng = new Random(4);
    const d = 4;
    const Wf = clipSpectrum(randomSymmetric(rng, d, 1), d, -0.9, 0.9);
    const { values, vectors } = symmetricEigen(Wf, d);
    const top = values.indexOf(Math.max(...values));
    const b = rng.normals(d);
    // Y* solves Y (I + W_f) = 1 b^T; displace one token along the top eigenvector.
    const { bound } = feedForwardStepBound(Wf, d);
    const eye = Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));
    const IpW = eye.map((v, k) => v + Wf[k]!);
    // I + W_f is symmetric, so the row system x (I + W_f) = b is (I + W_f) x^T = b^T.
    const yStar = solve(IpW, b, d);
    const Y = Float64Array.from({ length: 2 * d }, (_, k) => yStar[k % d]! + (k < d ? vectors[(k % d) * d + top]! : 0));
    const above = run(ffProgram(2, d, bound * 1.1), { Y, Wf, b });
    const below = run(ffProgram(2, d, bound * 0.9), { Y, Wf, b });
    expect(above["eClosed"]![0]!).toBeGreaterThan(above["e"]![0]!);
    expect(below["eClosed"]![0]!).toBeLessThan(below["e"]![0]!);
  });

  it("feedForwardStepBound reads the spectrum and refuses I + W_f that is not positive definite", () => {
    const diag = Float64Array.from([0.5, 0, 0, -0.3]);
    expect(feedForwardStepBound(diag, 2).bound).toBeCloseTo(2 / 1.5, 14);
    expect(() => feedForwardStepBound(Float64Array.from([-1.2, 0, 0, 0.1]), 2)).toThrow(/I \+ Wf must be positive definite.*-1\.2/);
    const clipped = clipSpectrum(Float64Array.from([3, 0, 0, -4]), 2, -0.5, 0.5);
    expect(Array.from(clipped)).toEqual([0.5, 0, 0, -0.5]);
  });

  it("a non-symmetric W_f is refused before anything runs, naming the parameter and the entry", async () => {
    const energy = feedForwardEnergy({ dim: 2 });
    const unfolding = defineUnfolding({ energy, steps: [feedForwardStep(energy, { stepSize: 0.5 })], layers: 2 });
    const run = runUnfolding(unfolding, new ReferenceBackend(), {
      state: hostTensor([1, 2, 3, 4], [2, 2]),
      params: { Wf: hostTensor([0.1, 0.5, -0.2, 0.3], [2, 2]), b: hostTensor([0, 0], [2]) },
    });
    await expect(run).rejects.toThrow(UnfoldError);
    await expect(run).rejects.toThrow(/parameter 'Wf' must be symmetric: entry \((0, 1|1, 0)\)/);
  });
});
