import { describe, expect, it, vi } from "vitest";
import { MonotonicityError, UnfoldError, defineUnfolding, gradientStep, hostTensor, relativeError, runUnfolding, solve } from "../src/index.js";
import { n, d, quadratic, energyJS, gradJS, L, problem, backend, gd, expectClose } from "./unfold/fixtures.js";

describe("schedules", () => {
  it("uses per-layer step sizes and records them", async () => {
    const p = problem(9);
    const sizes = [0.1, 0.05, 0.2, 0.15];
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 4, stepSizes: { gd: sizes } });
    expect([0, 1, 2, 3].map((l) => unfolding.stepSize(0, l))).toEqual(sizes);
    const { state, trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    expect(trace.steps.map((s) => s.stepSize)).toEqual(sizes);
    let x = Float64Array.from(p.x0);
    for (const a of sizes) {
      const g = gradJS(p.A, p.B, x);
      x = x.map((v, i) => v - a * g[i]!);
    }
    expectClose(state.data, x);
  });

  it("a single override replaces the step's own size in every layer", async () => {
    const p = problem(10);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 3, stepSizes: { gd: 0.07 } });
    const { trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    expect(trace.steps.map((s) => s.stepSize)).toEqual([0.07, 0.07, 0.07]);
  });

  it("untied weights use one parameter set per layer; tied weights one for all", async () => {
    const p = problem(11);
    const K = 3;
    const sets = Array.from({ length: K }, (_, l) => {
      const q = problem(100 + l);
      return { A: q.A, B: q.B, params: q.params };
    });
    const untied = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: K, tiedWeights: false });
    const { state, trace } = await runUnfolding(untied, backend, { state: p.state, params: sets.map((s) => s.params) });
    let x = Float64Array.from(p.x0);
    expect(trace.layers[0]!.energy).toBeCloseTo(energyJS(sets[0]!.A, sets[0]!.B, x), 12);
    for (let l = 0; l < K; l++) {
      const g = gradJS(sets[l]!.A, sets[l]!.B, x);
      x = x.map((v, i) => v - g[i]! / L);
      // A layer's energy is measured with that layer's parameters.
      expect(trace.layers[l + 1]!.energy).toBeCloseTo(energyJS(sets[l]!.A, sets[l]!.B, x), 12);
    }
    expectClose(state.data, x);

    // Untied with K copies of one set is the tied unfolding.
    const tied = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: K });
    const a = await runUnfolding(tied, backend, { state: p.state, params: p.params });
    const b = await runUnfolding(untied, backend, { state: p.state, params: [p.params, p.params, p.params] });
    expect(Array.from(b.state.data)).toEqual(Array.from(a.state.data));
    expect(relativeError(a.state.data, state.data)).toBeGreaterThan(1e-3);
  });

  it("the guard compares energies under one layer's parameters, not across untied layers", async () => {
    const p = problem(12);
    const zero = new Float64Array(n * d);
    // Layer 2's energy is far above layer 1's at the same state, but its own step descends it.
    const B2 = p.B.map((v) => -20 * v);
    const sets = [p.params, { A: p.params["A"]!, B: hostTensor(B2, [n, d]) }];
    const x1 = p.B.map((v) => v / L); // one step from 0 on layer 1
    const x2 = x1.map((v, i) => v - 0.01 * gradJS(p.A, B2, x1)[i]!);
    expect(energyJS(p.A, B2, x2)).toBeLessThan(energyJS(p.A, B2, x1));
    expect(energyJS(p.A, B2, x2)).toBeGreaterThan(energyJS(p.A, p.B, x1));
    const untied = defineUnfolding({
      energy: quadratic,
      steps: [gd(1 / L)],
      layers: 2,
      tiedWeights: false,
      stepSizes: { gd: [1 / L, 0.01] },
      guard: { mode: "throw" },
    });
    const { state, trace } = await runUnfolding(untied, backend, { state: hostTensor(zero, [n, d]), params: sets });
    expectClose(state.data, x2);
    expect(trace.steps.map((s) => s.increased)).toEqual([false, false]);
    expect(trace.warnings).toEqual([]);
  });

  it("the tolerance of an untied unfolding measures each layer's change under its own parameters", async () => {
    const p = problem(14);
    const other = { A: p.params["A"]!, B: hostTensor(p.B.map((v) => -5 * v), [n, d]) };
    // Layer 1 moves; layers 2 and 3 barely move, but under parameters far from layer 1's.
    const untied = defineUnfolding({
      energy: quadratic,
      steps: [gd(1 / L)],
      layers: 3,
      tiedWeights: false,
      stepSizes: { gd: [1 / L, 1e-14, 1e-14] },
      tolerance: 1e-9,
    });
    const { trace } = await runUnfolding(untied, backend, { state: p.state, params: [p.params, other, other] });
    expect(Math.abs(trace.layers[2]!.energy - trace.layers[1]!.energy)).toBeGreaterThan(1);
    expect(trace.stoppedAfter).toBe(2);
  });

  it("tied weights reject a list of parameter sets, untied weights a single set", async () => {
    const p = problem(13);
    await expect(runUnfolding(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 2 }), backend, { state: p.state, params: [p.params, p.params] })).rejects.toThrow(
      UnfoldError,
    );
    await expect(
      runUnfolding(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 2, tiedWeights: false }), backend, { state: p.state, params: p.params }),
    ).rejects.toThrow("untied weights take one parameter set per layer (2), got one set");
  });
});

describe("monotonicity guard", () => {
  // Eigenvalues in [0.8 L, L]: any step above 2/(0.8 L) = 2.5/L raises the energy, any at or below 2/L lowers it.
  const TIGHT = [3.2, 3.5, 3.8, 4];

  it("'throw' raises MonotonicityError for a step size above 2/L", async () => {
    const p = problem(20, TIGHT);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: 3, guard: { mode: "throw" } });
    const e = await runUnfolding(unfolding, backend, { state: p.state, params: p.params }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(MonotonicityError);
    expect(e).toBeInstanceOf(UnfoldError);
    const message = (e as Error).message;
    expect(message).toMatch(/^runUnfolding: layer 1, step 'gd': terms quadratic\+linear rose from -?[\d.e+-]+ to -?[\d.e+-]+ at step size 0\.75$/);
    // A safe step size does not throw.
    const safe = defineUnfolding({ energy: quadratic, steps: [gd(2 / L)], layers: 3, guard: { mode: "throw" } });
    await expect(runUnfolding(safe, backend, { state: p.state, params: p.params })).resolves.toBeDefined();
  });

  it("'warn' records a warning per rising step and carries on", async () => {
    const p = problem(21, TIGHT);
    const K = 3;
    const onWarning = vi.fn();
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: K, guard: { mode: "warn" } });
    const { state, trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params, onWarning });
    expect(trace.warnings).toHaveLength(K);
    expect(onWarning).toHaveBeenCalledTimes(K);
    expect(trace.warnings[2]).toContain("layer 3, step 'gd'");
    expect(trace.steps.map((s) => s.increased)).toEqual([true, true, true]);
    for (let l = 1; l <= K; l++) expect(trace.layers[l]!.energy).toBeGreaterThan(trace.layers[l - 1]!.energy);
    let x = Float64Array.from(p.x0);
    for (let l = 0; l < K; l++) {
      const g = gradJS(p.A, p.B, x);
      x = x.map((v, i) => v - (3 / L) * g[i]!);
    }
    expectClose(state.data, x);
  });

  it("'off' neither warns nor throws, but the trace still records every rise", async () => {
    const p = problem(22, TIGHT);
    const { trace } = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: 2 }), backend, { state: p.state, params: p.params });
    expect(trace.warnings).toEqual([]);
    expect(trace.steps.map((s) => s.increased)).toEqual([true, true]);
    expect(trace.layers[2]!.energy).toBeGreaterThan(trace.layers[1]!.energy);
    expect(trace.layers[1]!.energy).toBeGreaterThan(trace.layers[0]!.energy);
  });

  it("'off' records a rise of the total when told to watch it, and no rise where the energy falls", async () => {
    const p = problem(26, TIGHT);
    const watchTotal = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: 2, guard: { mode: "off", watch: "total" } });
    const rising = await runUnfolding(watchTotal, backend, { state: p.state, params: p.params });
    expect(rising.trace.steps.map((s) => s.increased)).toEqual([true, true]);
    const falling = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 2 }), backend, { state: p.state, params: p.params });
    expect(falling.trace.steps.map((s) => s.increased)).toEqual([false, false]);
  });

  it("'backoff' halves the step until the energy descends and records the backoffs", async () => {
    const p = problem(23, TIGHT);
    const K = 5;
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: K, guard: { mode: "backoff" } });
    const { state, trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    expect(trace.warnings).toEqual([]);
    // 3/L raises the energy, 1.5/L lowers it: exactly one halving per step.
    expect(trace.steps.map((s) => [s.backoffs, s.stepSize, s.increased])).toEqual(Array.from({ length: K }, () => [1, 1.5 / L, false]));
    for (let l = 1; l <= K; l++) expect(trace.layers[l]!.energy).toBeLessThan(trace.layers[l - 1]!.energy);
    let x = Float64Array.from(p.x0);
    for (let l = 0; l < K; l++) {
      const g = gradJS(p.A, p.B, x);
      x = x.map((v, i) => v - (1.5 / L) * g[i]!);
    }
    expectClose(state.data, x);
  });

  it("'backoff' with a custom factor backs off as often as needed", async () => {
    const p = problem(24, TIGHT);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(40 / L)], layers: 2, guard: { mode: "backoff", backoffFactor: 0.25 } });
    const { trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    // 40/L -> 10/L -> 2.5/L (not reliably a descent) -> 0.625/L.
    for (const s of trace.steps) {
      expect(s.backoffs).toBeGreaterThanOrEqual(2);
      expect(s.stepSize).toBeCloseTo((40 / L) * 0.25 ** s.backoffs, 14);
      expect(s.stepSize).toBeLessThanOrEqual(2.5 / L);
    }
    for (let l = 1; l <= 2; l++) expect(trace.layers[l]!.energy).toBeLessThan(trace.layers[l - 1]!.energy);
  });

  it("'backoff' that runs out of backoffs warns and keeps the step", async () => {
    const p = problem(25, TIGHT);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(100 / L)], layers: 1, guard: { mode: "backoff", maxBackoffs: 2 } });
    const { trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    expect(trace.steps[0]!.backoffs).toBe(2);
    expect(trace.steps[0]!.stepSize).toBe(25 / L);
    expect(trace.steps[0]!.increased).toBe(true);
    expect(trace.warnings).toHaveLength(1);
    expect(trace.warnings[0]).toContain("after 2 backoffs");
  });
});

describe("tolerance stop", () => {
  it("stops once a layer changes the energy by less than the tolerance", async () => {
    const p = problem(30);
    const K = 400;
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: K, tolerance: 1e-9 });
    const { trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    expect(trace.stoppedAfter).toBeDefined();
    expect(trace.stoppedAfter!).toBeLessThan(K);
    expect(trace.stoppedAfter!).toBeGreaterThan(5);
    expect(trace.layers).toHaveLength(trace.stoppedAfter! + 1);
    const last = trace.layers.at(-1)!.energy;
    const before = trace.layers.at(-2)!.energy;
    expect(Math.abs(before - last)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(before)));
    const previous = trace.layers.at(-3)!.energy;
    expect(Math.abs(previous - before)).toBeGreaterThan(1e-9 * Math.max(1, Math.abs(previous)));

    const all = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 20 }), backend, { state: p.state, params: p.params });
    expect(all.trace.stoppedAfter).toBeUndefined();
    expect(all.trace.layers).toHaveLength(21);
  });

  it("a Newton step converges in one layer, so the tolerance stops after the second", async () => {
    const p = problem(31);
    const Ainv = solve(p.A, Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)), n, n);
    const newton = gradientStep(quadratic, { stepSize: 1, preconditioner: (g) => g.graph.constant(Ainv, [n, n], g.dtype).matmul(g) });
    const { trace } = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [newton], layers: 10, tolerance: 1e-12 }), backend, {
      state: p.state,
      params: p.params,
    });
    expect(trace.stoppedAfter).toBe(2);
  });
});
