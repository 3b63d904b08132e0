import { Random, ReferenceBackend, defineEnergy, defineUnfolding, gradientStep, hostTensor, ops, runUnfolding, symmetricEigen } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { checkStepSizeByCurvature, curvatureStepBound, curvatureStepSize, energyCurvature } from "../src/index.js";

// A feed-forward-style quadratic energy (docs/mathematics.md, 'Yang feed-forward energy'): E(Y) = 1/2 tr(Y W Y^T) + 1/2 ||Y - B||^2.
// Its Hessian in Y is I kron (I + W), so lambda_max = 1 + lambda_max(W) exactly.
const d = 4;
const energy = defineEnergy({
  name: "quadratic",
  params: { W: { shape: [d, d], constraint: "symmetric" }, B: { shape: [3, d] } },
  terms: [
    { name: "coupling", value: (Y, p) => ops.mul(ops.sum(ops.mul(ops.matmul(Y, p.W!), Y)), 0.5) },
    { name: "pull", value: (Y, p) => ops.mul(ops.sum(ops.mul(ops.sub(Y, p.B!), ops.sub(Y, p.B!))), 0.5) },
  ],
});
const rng = new Random(7);
const M = rng.normals(d * d);
const W = Float64Array.from({ length: d * d }, (_, k) => (M[k]! + M[(k % d) * d + Math.floor(k / d)]!) / 2);
const params = { W: hostTensor(W, [d, d]), B: hostTensor(rng.normals(3 * d), [3, d]) };
const state = hostTensor(rng.normals(3 * d), [3, d]);
const lambdaMaxW = Math.max(...symmetricEigen(W, d).values);

describe("energy curvature (docs/mathematics.md, 'Curvature of an energy')", () => {
  it("finds lambda_max of d2E/dY2 from Hessian-vector programs", async () => {
    const { lambdaMax, lambdaMin } = await energyCurvature(energy, state, params, { backend: new ReferenceBackend() });
    expect(lambdaMax).toBeCloseTo(1 + lambdaMaxW, 10);
    expect(lambdaMin).toBeCloseTo(1 + Math.min(...symmetricEigen(W, d).values), 10);
  });

  it("gives a default step size a guarded unfolding descends with", async () => {
    const { lambdaMax } = await energyCurvature(energy, state, params);
    const stepSize = curvatureStepSize(lambdaMax); // 1/L
    expect(stepSize).toBeCloseTo(1 / (1 + lambdaMaxW), 10);
    const unfolding = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize })], layers: 10, guard: { mode: "throw", watch: "total" } });
    const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state, params });
    expect(trace.layers.at(-1)!.energy).toBeLessThan(trace.layers[0]!.energy);
  });

  it("checks a schedule's step size against the bound 2/L", async () => {
    const good = await checkStepSizeByCurvature(energy, state, params, 1.9 / (1 + lambdaMaxW));
    expect(good.ok).toBe(true);
    expect(good.bound).toBeCloseTo(2 / (1 + lambdaMaxW), 10);
    const bad = await checkStepSizeByCurvature(energy, state, params, 2.1 / (1 + lambdaMaxW));
    expect(bad.ok).toBe(false);
  });

  it("rejects bad input clearly", async () => {
    expect(() => curvatureStepSize(-1)).toThrow(/curvatureStepSize: .*positive, finite lambda_max, got -1/);
    expect(() => curvatureStepSize(2, { fraction: 1 })).toThrow(/fraction must lie in \(0, 1\)/);
    await expect(energyCurvature(energy, state, { W: params.W })).rejects.toThrow(/missing parameter 'B'/);
  });

  it("bounds an unfolding's step sizes through core's stepSizeBound: a schedule too long for the energy descends", async () => {
    const L = 1 + lambdaMaxW;
    // 3 / L overshoots (the guard would throw); the bound caps it at 1 / L before every step.
    const unfolding = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 3 / L, name: "gd" })], layers: 4, guard: { mode: "throw" } });
    await expect(runUnfolding(unfolding, new ReferenceBackend(), { state, params })).rejects.toThrow(/rose/);
    const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state, params, stepSizeBound: curvatureStepBound(energy, { backend: new ReferenceBackend() }) });
    for (const s of trace.steps) expect(s.stepSize).toBeCloseTo(1 / L, 8);
    expect(trace.steps.every((s) => !s.increased)).toBe(true);
    // "check" keeps the schedule and reports it.
    const warned = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 3 / L, name: "gd" })], layers: 1, guard: { mode: "warn" } });
    const checked = await runUnfolding(warned, new ReferenceBackend(), { state, params, stepSizeBound: curvatureStepBound(energy, { mode: "check", fraction: 0.99 }) });
    expect(checked.trace.warnings.some((w) => w.includes("exceeds the bound"))).toBe(true);
  });
});
