// The line search on the quadratic energy: Armijo backtracking along the gradient step's own
// direction reaches A^{-1} B, never raises the energy, reports its step sizes, and is refused for
// layers that are not one gradient step on the whole energy.
import { describe, expect, it } from "vitest";
import { closedFormStep, defineEnergy, defineUnfolding, relativeError, solveFixedPoint } from "../../src/index.js";
import { backend, energyJS, gd, n, d, problem, quadratic } from "../unfold/fixtures.js";
import { minimiser, recordingBackend } from "./forward-helpers.js";

describe("solveFixedPoint, line search", () => {
  it("reaches A^{-1} B, every accepted step lowers the energy, and the trace has the step sizes", async () => {
    const { A, B, params, state } = problem(3);
    // A small map step: the search grows it (by 1.5 per iteration) to what the curvature allows.
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(0.01)], layers: 1 });
    const tol = 1e-8;
    const result = await solveFixedPoint(unfolding, backend, { state, params, tol, solver: "line-search" });
    expect(result.converged).toBe(true);
    // The residual is the map's, ||0.01 grad E|| / ||Y||: the error A^{-1} grad E is within tol / (0.01 lambda_min) = 200 tol.
    expect(relativeError(result.state.data, minimiser(A, B))).toBeLessThan(300 * tol);
    expect(result.energy).toBeCloseTo(energyJS(A, B, result.state.data), 12);
    const sizes = result.trace.map((r) => r.stepSize!);
    expect(sizes[0]).toBe(0.01);
    expect(Math.max(...sizes)).toBeGreaterThan(0.1);
    result.trace.forEach((r, k) => {
      // Down, or (in the rounding regime) up by at most the guard's slack.
      expect(r.energyChange).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(r.energy)));
      expect(r.increased).toBe(false);
      expect(r.layerEvaluations).toBe(k + 1);
      // Grown by 1.5 from the last accepted size (or kept, where the energy's rounding hides the
      // decrease), then halved per backtrack.
      const first = r.stepSize! / 0.5 ** r.backtracks!;
      if (k > 0) expect([sizes[k - 1]! * 1.5, sizes[k - 1]!].some((s) => Math.abs(first - s) < 1e-14 * s)).toBe(true);
    });
    expect(result.trace.some((r) => r.backtracks! > 0)).toBe(true);
    // One trial energy per trial, the start's energy besides.
    expect(result.energyEvaluations).toBe(1 + result.trace.reduce((s, r) => s + 1 + r.backtracks!, 0));
  });

  it("takes fewer layer evaluations than plain iteration at the map's step size", async () => {
    const { params, state } = problem(4);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(0.05)], layers: 1 });
    const plain = await solveFixedPoint(unfolding, backend, { state, params, tol: 1e-6, maxIterations: 2000 });
    const searched = await solveFixedPoint(unfolding, backend, { state, params, tol: 1e-6, solver: "line-search" });
    expect(plain.converged && searched.converged).toBe(true);
    expect(searched.layerEvaluations).toBeLessThan(plain.layerEvaluations);
  });

  it("gives up as stoppedBy 'lineSearch' when no step lowers the energy enough", async () => {
    const { params, state } = problem(5);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(0.4)], layers: 1 });
    const result = await solveFixedPoint(unfolding, backend, { state, params, solver: "line-search", lineSearch: { initialStepSize: 100, maxBacktracks: 2 } });
    expect(result.converged).toBe(false);
    expect(result.stoppedBy).toBe("lineSearch");
    expect(result.reason).toMatch(/^iteration 1: no step size down to 25 lowered the energy enough from .* \(Armijo, sufficientDecrease 0.0001\) after 2 backtracks; the relative residual was /);
    expect(result.state.data).toEqual(state.data);
  });

  it("keeps the state and direction on the backend and disposes them", async () => {
    const { params, state } = problem(6);
    const recording = recordingBackend();
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(0.2)], layers: 1 });
    const result = await solveFixedPoint(unfolding, recording, { state, params, solver: "line-search" });
    expect(result.converged).toBe(true);
    for (const shapes of recording.reads) for (const shape of shapes) expect(shape).toEqual([]);
    expect(recording.made.every((t) => t.disposed)).toBe(true);
    expect(result.state.shape).toEqual([n, d]);
  });

  it("refuses layers that are not one gradient step on every term of the energy", async () => {
    const { params, state } = problem(7);
    const two = defineUnfolding({ energy: quadratic, steps: [gd(0.1, { name: "a" }), gd(0.1, { name: "b" })], layers: 1 });
    await expect(solveFixedPoint(two, backend, { state, params, solver: "line-search" })).rejects.toThrow(
      "solveFixedPoint: solver 'line-search' is for pure energy descent, a layer of one gradient step on every term of the energy, but the layer of energy 'quadratic' has 2 steps ('a' (gradient), 'b' (gradient)); use solver 'iteration' or 'anderson'",
    );
    const partial = defineUnfolding({ energy: quadratic, steps: [gd(0.1, { terms: ["quadratic"] })], layers: 1 });
    await expect(solveFixedPoint(partial, backend, { state, params, solver: "line-search" })).rejects.toThrow(
      "but the layer of energy 'quadratic' descends quadratic and not linear; use solver",
    );
    const withClosedForm = defineEnergy({
      name: "mm",
      params: {},
      terms: [{ name: "pull", value: (x) => x.mul(x).sum().mul(0.5), closedForm: (x, _p, a) => x.mul(a.neg().add(1)) }],
    });
    const closed = defineUnfolding({ energy: withClosedForm, steps: [closedFormStep(withClosedForm, "pull", { stepSize: 0.5 })], layers: 1 });
    await expect(solveFixedPoint(closed, backend, { state, params: {}, solver: "line-search" })).rejects.toThrow(
      "but the layer of energy 'mm' is step 'closedForm(pull)' (closedForm), not a gradient step; use solver",
    );
  });
});
