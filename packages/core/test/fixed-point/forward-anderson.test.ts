// Anderson acceleration on the quadratic energy: on a linear map it reaches the tolerance in a
// handful of iterations (it spans the Krylov space, as GMRES does), with far fewer layer
// evaluations than plain iteration, at A^{-1} B. The safeguard refuses mixed iterates that raise
// the energy above the plain step's; the history stays on the backend and is disposed.
import { describe, expect, it } from "vitest";
import { MonotonicityError, type Step, defineUnfolding, ops, relativeError, solveFixedPoint } from "../../src/index.js";
import { backend, gd, problem, quadratic } from "../unfold/fixtures.js";
import { andersonWeights } from "../../src/fixed-point/anderson-weights.js";
import { minimiser, recordingBackend } from "./forward-helpers.js";

const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(0.4)], layers: 1 });

describe("solveFixedPoint, Anderson", () => {
  it("reaches A^{-1} B to the tolerance in a handful of iterations, fewer layer evaluations than plain iteration", async () => {
    for (const seed of [3, 4, 5]) {
      const { A, B, params, state } = problem(seed);
      const tol = 1e-10;
      const plain = await solveFixedPoint(unfolding, backend, { state, params, tol });
      const accelerated = await solveFixedPoint(unfolding, backend, { state, params, tol, solver: "anderson" });
      console.log(`quadratic seed ${seed}, tol ${tol}: plain iteration ${plain.layerEvaluations} layer evaluations, Anderson ${accelerated.layerEvaluations}`);
      expect(accelerated.converged).toBe(true);
      expect(accelerated.solver).toBe("anderson");
      // A 4 x 4 A: the residuals span its Krylov space within 5 iterations, and m = 5 keeps them all.
      expect(accelerated.iterations).toBeLessThanOrEqual(8);
      expect(accelerated.layerEvaluations).toBe(accelerated.iterations);
      expect(accelerated.layerEvaluations).toBeLessThan(plain.layerEvaluations / 5);
      expect(relativeError(accelerated.state.data, minimiser(A, B))).toBeLessThan(10 * tol);
      const histories = accelerated.trace.map((r) => r.history);
      expect(histories.slice(0, -1)).toEqual(histories.slice(0, -1).map((_, k) => Math.min(k + 1, 5)));
      expect(histories[histories.length - 1]).toBe(0);
    }
  });

  it("memory 1 with mixing 1 is plain iteration, step for step", async () => {
    const { params, state } = problem(6);
    const plain = await solveFixedPoint(unfolding, backend, { state, params, tol: 1e-8 });
    const one = await solveFixedPoint(unfolding, backend, { state, params, tol: 1e-8, solver: "anderson", anderson: { memory: 1 } });
    expect(one.iterations).toBe(plain.iterations);
    one.trace.forEach((r, k) => expect(r.residual).toBeCloseTo(plain.trace[k]!.residual, 12));
    expect(relativeError(one.state.data, plain.state.data)).toBeLessThan(1e-12);
  });

  it("the safeguard refuses mixed iterates above the plain step's energy; without it they are taken", async () => {
    // Ill-conditioned, with a step near 2 / lambda_max: the residual-minimising mix is sometimes above T(Y)'s energy.
    const { params, state } = problem(3, [0.01, 0.1, 1, 4]);
    const stiff = defineUnfolding({ energy: quadratic, steps: [gd(0.45)], layers: 1 });
    const options = { state, params, tol: 1e-8, solver: "anderson" as const };
    const guarded = await solveFixedPoint(stiff, backend, { ...options, anderson: { mixing: 0.5 } });
    const unguarded = await solveFixedPoint(stiff, backend, { ...options, anderson: { mixing: 0.5, safeguard: false } });
    const slack = (e: number): number => 1e-10 * Math.max(1, Math.abs(e));
    expect(guarded.converged).toBe(true);
    expect(guarded.trace.filter((r) => r.safeguarded).length).toBeGreaterThan(0);
    for (const r of guarded.trace) {
      expect(r.energy).toBeLessThanOrEqual(r.plainEnergy! + slack(r.plainEnergy!));
      if (r.safeguarded) expect(r.energy).toBe(r.plainEnergy);
    }
    expect(unguarded.trace.every((r) => r.safeguarded === false)).toBe(true);
    expect(unguarded.trace.some((r) => r.energy > r.plainEnergy! + slack(r.plainEnergy!))).toBe(true);
    // The plain step's energy never rose (the guard's watch), so under the safeguard neither did the iterates.
    guarded.trace.forEach((r, k) => {
      if (k > 0) expect(r.energy).toBeLessThanOrEqual(guarded.trace[k - 1]!.energy + slack(r.energy));
    });
  });

  it("a layer that rises from a mixed iterate has the mix taken back under the safeguard; without it the guard fires", async () => {
    // Projected gradient descent onto Y >= 0 descends E from states in the orthant only, and a mix
    // (with negative weights) can leave it.
    const pgd: Step = {
      name: "pgd",
      kind: "gradient",
      terms: ["quadratic", "linear"],
      stepSize: 0.2,
      apply: (x, p, a) => ops.relu(ops.sub(x, ops.mul(ops.sub(ops.matmul(p["A"]!, x), p["B"]!), a))),
    };
    const { params, state } = problem(5);
    const start = { ...state, data: state.data.map(Math.abs) };
    const projected = defineUnfolding({ energy: quadratic, steps: [pgd], layers: 1, guard: { mode: "throw" } });
    const recording = recordingBackend();
    const plain = await solveFixedPoint(projected, backend, { state: start, params, tol: 1e-10 });
    const safe = await solveFixedPoint(projected, recording, { state: start, params, tol: 1e-10, solver: "anderson" });
    expect(safe.converged).toBe(true);
    const retracted = safe.trace.filter((r) => r.increased);
    expect(retracted.length).toBeGreaterThan(0);
    for (const r of retracted) {
      expect(r.safeguarded).toBe(true);
      expect(r.history).toBe(0);
      // The iterate went back to the plain step before the mix: its energy is the last-but-one record's plainEnergy.
      expect(r.energy).toBe(safe.trace[r.iteration - 2]!.plainEnergy);
    }
    expect(safe.layerEvaluations).toBeLessThan(plain.layerEvaluations);
    expect(relativeError(safe.state.data, plain.state.data)).toBeLessThan(1e-8);
    expect(recording.made.every((t) => t.disposed)).toBe(true);
    const unsafe = solveFixedPoint(projected, backend, { state: start, params, tol: 1e-10, solver: "anderson", anderson: { safeguard: false } });
    await expect(unsafe).rejects.toThrow(MonotonicityError);
    await expect(unsafe).rejects.toThrow(/^solveFixedPoint: iteration \d+, step 'pgd': terms quadratic\+linear rose from/);
  });

  it("keeps the history on the backend (only scalars read: two transfers per iteration) and disposes it", async () => {
    const { params, state } = problem(8);
    const recording = recordingBackend();
    const result = await solveFixedPoint(unfolding, recording, { state, params, tol: 1e-10, solver: "anderson", anderson: { memory: 2 } });
    expect(result.converged).toBe(true);
    // The start's energy; per iteration the layer's scalars with the Gram row, then the mixed energy; the last iteration stops before mixing.
    expect(recording.reads).toHaveLength(1 + 2 * result.iterations - 1);
    for (const shapes of recording.reads) for (const shape of shapes) expect(shape).toEqual([]);
    // The Gram row holds at most memory - 1 dots besides the layer's own scalars.
    expect(recording.made.every((t) => t.disposed)).toBe(true);
  });

  it("the weights solve the constrained least-squares problem, and a degenerate Gram matrix gives the plain step", () => {
    // Residuals g0 = (1, 0), g1 = (0, 2): min ||a g0 + (1 - a) g1|| at a = 4/5.
    const w = andersonWeights([[1, 0], [0, 4]], 0);
    expect(w[0]).toBeCloseTo(0.8, 14);
    expect(w[1]).toBeCloseTo(0.2, 14);
    expect(Array.from(andersonWeights([[0, 0], [0, 0]], 0))).toEqual([0, 1]);
    expect(Array.from(andersonWeights([[1, 1], [1, 1]], 0))).toEqual([0, 1]);
  });
});
