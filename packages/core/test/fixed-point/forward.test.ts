// Plain iteration to a fixed point on the quadratic energy, whose gradient step's fixed point is
// A^{-1} B exactly: the solver stops where the oracle's residual first meets the tolerance, its
// trace is the oracle's iteration by iteration, the state stays resident (only scalars are read
// until the end) and every tensor it makes is disposed.
import { describe, expect, it } from "vitest";
import { MonotonicityError, defineUnfolding, hostTensor, layerMap, relativeError, solveFixedPoint } from "../../src/index.js";
import { backend, d, energyJS, gd, n, problem, quadratic } from "../unfold/fixtures.js";
import { minimiser, oracleIterations, recordingBackend } from "./forward-helpers.js";

const ALPHA = 0.4;

describe("solveFixedPoint, plain iteration", () => {
  it("reaches A^{-1} B and stops at the first iteration whose oracle residual meets tol", async () => {
    const { A, B, x0, params, state } = problem(3);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(ALPHA)], layers: 1 });
    const tol = 1e-8;
    const result = await solveFixedPoint(unfolding, backend, { state, params, tol });
    const oracle = oracleIterations(A, B, x0, ALPHA, 400);
    const first = oracle.findIndex((s) => s.residual <= tol) + 1;
    expect(result.converged).toBe(true);
    expect(result.stoppedBy).toBe("tolerance");
    expect(result.reason).toBeUndefined();
    expect(result.iterations).toBe(first);
    expect(result.layerEvaluations).toBe(first);
    // Contraction 0.8 per step: the error is within a few times the last step's size.
    expect(relativeError(result.state.data, minimiser(A, B))).toBeLessThan(10 * tol);
    expect(result.trace).toHaveLength(first);
    result.trace.forEach((rec, k) => {
      expect(rec.iteration).toBe(k + 1);
      expect(rec.layerEvaluations).toBe(k + 1);
      expect(Math.abs(rec.residual - oracle[k]!.residual)).toBeLessThan(1e-12 * Math.max(1, oracle[k]!.residual));
      expect(rec.energy).toBeCloseTo(oracle[k]!.energy, 12);
      expect(rec.terms["quadratic"]! + rec.terms["linear"]!).toBeCloseTo(rec.energy, 12);
      expect(rec.increased).toBe(false);
    });
    expect(result.trace[1]!.energyChange).toBeCloseTo(oracle[1]!.energy - oracle[0]!.energy, 12);
    expect(result.residual).toBe(result.trace[first - 1]!.residual);
    expect(result.energy).toBeCloseTo(energyJS(A, B, result.state.data), 12);
  });

  it("takes a layer map as well as a tied unfolding, and calls onIteration with each record", async () => {
    const { params, state } = problem(4);
    const seen: number[] = [];
    const map = layerMap(defineUnfolding({ energy: quadratic, steps: [gd(ALPHA)], layers: 9 }));
    const result = await solveFixedPoint(map, backend, { state, params, tol: 1e-5, onIteration: (r) => seen.push(r.iteration) });
    expect(result.converged).toBe(true);
    expect(seen).toEqual(result.trace.map((r) => r.iteration));
  });

  it("stopOn 'energy' stops at the first energy change within tol of the energy, 'both' when both rules hold", async () => {
    const { A, B, x0, params, state } = problem(5);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(ALPHA)], layers: 1 });
    const tol = 1e-6;
    const oracle = oracleIterations(A, B, x0, ALPHA, 400);
    const energyBefore = (k: number): number => (k === 0 ? energyJS(A, B, x0) : oracle[k - 1]!.energy);
    const energyHolds = (k: number): boolean => Math.abs(oracle[k]!.energy - energyBefore(k)) <= tol * Math.max(1, Math.abs(energyBefore(k)));
    const byEnergy = oracle.findIndex((_, k) => energyHolds(k)) + 1;
    const byResidual = oracle.findIndex((s) => s.residual <= tol) + 1;
    const byBoth = oracle.findIndex((s, k) => s.residual <= tol && energyHolds(k)) + 1;
    // The energy falls quadratically in the distance to the minimum, so its rule fires first.
    expect(byEnergy).toBeLessThan(byResidual);
    const energy = await solveFixedPoint(unfolding, backend, { state, params, tol, stopOn: "energy" });
    const both = await solveFixedPoint(unfolding, backend, { state, params, tol, stopOn: "both" });
    expect(energy.iterations).toBe(byEnergy);
    expect(both.iterations).toBe(byBoth);
    expect(both.iterations).toBe(byResidual);
  });

  it("running out of iterations is converged: false with the reason, or an error under requireConvergence", async () => {
    const { params, state } = problem(6);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(ALPHA)], layers: 1 });
    const result = await solveFixedPoint(unfolding, backend, { state, params, tol: 1e-10, maxIterations: 5 });
    expect(result.converged).toBe(false);
    expect(result.stoppedBy).toBe("maxIterations");
    expect(result.iterations).toBe(5);
    expect(result.reason).toContain("stopOn 'residual' did not hold within maxIterations (5) at tol 1e-10: the last relative residual was");
    await expect(solveFixedPoint(unfolding, backend, { state, params, tol: 1e-10, maxIterations: 5, requireConvergence: true })).rejects.toThrow(
      "solveFixedPoint: did not converge: stopOn 'residual' did not hold within maxIterations (5)",
    );
  });

  it("keeps the state on the backend, reads only scalars per iteration in one transfer, and disposes everything it made", async () => {
    const { params, state } = problem(7);
    const recording = recordingBackend();
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(ALPHA, { name: "a" }), gd(0.1, { name: "b" })], layers: 1 });
    const result = await solveFixedPoint(unfolding, recording, { state, params, tol: 1e-6 });
    expect(result.converged).toBe(true);
    // The start's energy, then one read per iteration; the final state comes back by its own read().
    expect(recording.reads).toHaveLength(1 + result.iterations);
    for (const shapes of recording.reads) for (const shape of shapes) expect(shape).toEqual([]);
    expect(recording.made.length).toBeGreaterThan(0);
    expect(recording.made.every((t) => t.disposed)).toBe(true);
    expect(result.state.shape).toEqual([n, d]);
  });

  it("the guard watches every step of every iteration: a rise warns under 'warn' and throws under 'throw'", async () => {
    const { params, state } = problem(8);
    // 2 / lambda_max = 0.5: a step of 0.6 raises the energy along the top eigenvector.
    const warnings: string[] = [];
    const warned = await solveFixedPoint(defineUnfolding({ energy: quadratic, steps: [gd(0.6)], layers: 1, guard: { mode: "warn" } }), backend, {
      state,
      params,
      maxIterations: 30,
      onWarning: (m) => warnings.push(m),
    });
    expect(warned.converged).toBe(false);
    expect(warned.trace.some((r) => r.increased)).toBe(true);
    expect(warned.warnings.length).toBe(warned.trace.filter((r) => r.increased).length);
    expect(warnings).toEqual(warned.warnings);
    const firstRise = warned.trace.find((r) => r.increased)!.iteration;
    expect(warned.warnings[0]).toMatch(new RegExp(`^iteration ${firstRise}, step 'gd': terms quadratic\\+linear rose from .* to .* at step size 0.6$`));
    const unguarded = await solveFixedPoint(defineUnfolding({ energy: quadratic, steps: [gd(0.6)], layers: 1 }), backend, { state, params, maxIterations: 30 });
    expect(unguarded.warnings).toEqual([]);
    expect(unguarded.trace.map((r) => r.increased)).toEqual(warned.trace.map((r) => r.increased));
    const thrown = solveFixedPoint(defineUnfolding({ energy: quadratic, steps: [gd(0.6)], layers: 1, guard: { mode: "throw" } }), backend, { state, params });
    await expect(thrown).rejects.toThrow(MonotonicityError);
    await expect(thrown).rejects.toThrow(`solveFixedPoint: iteration ${firstRise}, step 'gd': terms quadratic+linear rose from`);
  });

  it("a diverging iteration stops as nonFinite, not after maxIterations", async () => {
    const { params, state } = problem(9);
    const result = await solveFixedPoint(defineUnfolding({ energy: quadratic, steps: [gd(5)], layers: 1 }), backend, { state, params, maxIterations: 5000 });
    expect(result.converged).toBe(false);
    expect(result.stoppedBy).toBe("nonFinite");
    expect(result.iterations).toBeLessThan(5000);
    expect(result.reason).toMatch(/^iteration \d+ gave a squared residual of .* the iteration diverged or left the energy's domain$/);
  });

  it("every solver runs in float32 on the reference backend to the float32 default tolerance", async () => {
    const { A, B, x0, params } = problem(10);
    const p32 = { A: hostTensor(params["A"]!.data, [n, n], "float32"), B: hostTensor(B, [n, d], "float32") };
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(ALPHA)], layers: 1 });
    for (const solver of ["iteration", "anderson", "line-search"] as const) {
      const result = await solveFixedPoint(unfolding, backend, { state: hostTensor(x0, [n, d], "float32"), params: p32, solver });
      expect(result.converged, solver).toBe(true);
      expect(result.state.dtype).toBe("float32");
      expect(relativeError(result.state.data, minimiser(A, B)), solver).toBeLessThan(1e-3);
    }
  });
});
