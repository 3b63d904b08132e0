import { describe, expect, it, vi } from "vitest";
import { type HostTensor, MonotonicityError, Random, type Tensor, closedFormStep, defineEnergy, defineUnfolding, gradientStep, hostTensor, projectionStep, proximalStep, relativeError, runUnfolding, solve } from "../src/index.js";
import { n, d, quadratic, dot, termsJS, gradJS, L, problem, backend, gd, expectClose } from "./unfold/fixtures.js";

describe("gradient descent on a quadratic energy", () => {
  it("with step 1/L lowers the energy every layer, and the trace records layers 0..K by term", async () => {
    const p = problem(1);
    const K = 12;
    const onLayer = vi.fn();
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: K });
    const { state, trace } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params, onLayer });

    expect(trace.layers.map((r) => r.layer)).toEqual(Array.from({ length: K + 1 }, (_, i) => i));
    expect(onLayer).toHaveBeenCalledTimes(K + 1);
    expect(trace.stoppedAfter).toBeUndefined();
    expect(trace.warnings).toEqual([]);

    let x = Float64Array.from(p.x0);
    for (const [l, rec] of trace.layers.entries()) {
      if (l > 0) {
        x = x.map((v, i) => v - (1 / L) * gradJS(p.A, p.B, x)[i]!);
        expect(rec.energy).toBeLessThan(trace.layers[l - 1]!.energy);
      }
      expect(Object.keys(rec.terms).sort()).toEqual(["linear", "quadratic"]);
      expect(rec.terms["quadratic"]! + rec.terms["linear"]!).toBeCloseTo(rec.energy, 12);
      const want = termsJS(p.A, p.B, x);
      expect(rec.terms["quadratic"]).toBeCloseTo(want.quadratic, 10);
      expect(rec.terms["linear"]).toBeCloseTo(want.linear, 10);
    }
    expectClose(state.data, x);
    expect(state.shape).toEqual([n, d]);

    expect(trace.steps).toHaveLength(K);
    trace.steps.forEach((s, i) => {
      expect([s.layer, s.step, s.stepSize, s.backoffs, s.increased]).toEqual([i + 1, "gd", 1 / L, 0, false]);
      expect(s.energy).toBe(trace.layers[i + 1]!.energy);
    });
  });

  it("runs in float32 when the state and parameters are float32", async () => {
    const p = problem(15);
    const f32 = (t: HostTensor): HostTensor => hostTensor(t.data, t.shape, "float32");
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 5, guard: { mode: "throw" } });
    const single = await runUnfolding(unfolding, backend, { state: f32(p.state), params: { A: f32(p.params["A"]!), B: f32(p.params["B"]!) } });
    const double = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    expect(single.state.data).toBeInstanceOf(Float32Array);
    expect(single.state.dtype).toBe("float32");
    expectClose(single.state.data, double.state.data, 1e-6);
    await expect(runUnfolding(unfolding, backend, { state: f32(p.state), params: p.params })).rejects.toThrow("parameter 'A' is float64, the state is float32");
  });

  it("approaches the minimizer A^-1 B", async () => {
    const p = problem(2);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 150 });
    const { state } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    // Contraction factor 1 - lambda_min / L = 7/8 per layer.
    expectClose(state.data, solve(p.A, p.B, n, d), 1e-6);
  });

  it("a preconditioned step with P = A^-1 reaches the minimizer in one step", async () => {
    const p = problem(3);
    const Ainv = solve(p.A, Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)), n, n);
    const newton = gradientStep(quadratic, {
      stepSize: 1,
      name: "newton",
      preconditioner: (g: Tensor) => g.graph.constant(Ainv, [n, n], g.dtype).matmul(g),
    });
    const { state, trace } = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [newton], layers: 1 }), backend, {
      state: p.state,
      params: p.params,
    });
    const xStar = solve(p.A, p.B, n, d);
    expectClose(state.data, xStar);
    expect(trace.layers[1]!.energy).toBeCloseTo(-0.5 * dot(p.B, xStar), 12);
    // Plain gradient descent at the same step count is far away.
    const plain = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 1 }), backend, { state: p.state, params: p.params });
    expect(relativeError(plain.state.data, xStar)).toBeGreaterThan(1e-2);
  });

  it("descends only the selected terms when asked", async () => {
    const p = problem(4);
    const step = gradientStep(quadratic, { stepSize: 0.1, terms: ["linear"] });
    expect(step.name).toBe("gradient(linear)");
    expect(step.terms).toEqual(["linear"]);
    const { state } = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [step], layers: 3 }), backend, { state: p.state, params: p.params });
    // d(linear)/dX = -B, so three steps add 0.3 B.
    expectClose(state.data, p.x0.map((v, i) => v + 0.3 * p.B[i]!));
  });
});

describe("proximal, projection and closed-form steps", () => {
  it("proximalStep with ReLU keeps the state non-negative and descends", async () => {
    const p = problem(5);
    const relu = proximalStep(quadratic, { stepSize: 1 / L, prox: (x) => x.relu(), proxName: "relu", name: "pgd" });
    expect(relu.kind).toBe("proximal");
    const K = 25;
    const { state, trace } = await runUnfolding(defineUnfolding({ energy: quadratic, steps: [relu], layers: K, guard: { mode: "throw" } }), backend, {
      state: p.state,
      params: p.params,
    });
    let x = Float64Array.from(p.x0);
    for (let l = 0; l < K; l++) {
      const g = gradJS(p.A, p.B, x);
      x = x.map((v, i) => Math.max(0, v - g[i]! / L));
    }
    expectClose(state.data, x);
    expect(Array.from(state.data).every((v) => v >= 0)).toBe(true);
    // The constraint is active somewhere: some entries sit exactly at 0, some above.
    expect(Array.from(state.data).some((v) => v === 0)).toBe(true);
    expect(Array.from(state.data).some((v) => v > 0)).toBe(true);
    // The unconstrained minimizer is not non-negative, so the prox did something.
    expect(Array.from(solve(p.A, p.B, n, d)).some((v) => v < 0)).toBe(true);
    for (let l = 2; l <= K; l++) expect(trace.layers[l]!.energy).toBeLessThanOrEqual(trace.layers[l - 1]!.energy);
  });

  it("projectionStep projects after each gradient step and is not watched by the terms guard", async () => {
    const p = problem(6);
    const unitRows = projectionStep("unit-rows", (x) => x.div(x.mul(x).sum(-1, true).sqrt()));
    expect([unitRows.kind, unitRows.terms, unitRows.stepSize]).toEqual(["projection", [], 1]);
    const K = 4;
    const { state, trace } = await runUnfolding(
      defineUnfolding({ energy: quadratic, steps: [gd(1 / L), unitRows], layers: K, guard: { mode: "throw" } }),
      backend,
      { state: p.state, params: p.params },
    );
    for (let i = 0; i < n; i++) {
      const row = Array.from(state.data.subarray(i * d, (i + 1) * d));
      expect(Math.hypot(...row)).toBeCloseTo(1, 12);
    }
    expect(trace.steps.map((s) => s.step)).toEqual(Array.from({ length: K }, () => ["gd", "unit-rows"]).flat());
    let x = Float64Array.from(p.x0);
    for (let l = 0; l < K; l++) {
      const g = gradJS(p.A, p.B, x);
      x = x.map((v, i) => v - g[i]! / L);
      for (let i = 0; i < n; i++) {
        const norm = Math.hypot(...x.subarray(i * d, (i + 1) * d));
        for (let j = 0; j < d; j++) x[i * d + j] = x[i * d + j]! / norm;
      }
    }
    expectClose(state.data, x);
  });

  it("a projection that raises the energy trips a guard watching the total only", async () => {
    const p = problem(7);
    const zero = { ...p.params, B: hostTensor(new Float64Array(n * d), [n, d]) };
    const blowUp = projectionStep("scale", (x) => x.mul(10));
    const steps = [gd(1 / L), blowUp];
    await expect(runUnfolding(defineUnfolding({ energy: quadratic, steps, layers: 2, guard: { mode: "throw" } }), backend, { state: p.state, params: zero })).resolves.toBeDefined();
    const e = await runUnfolding(defineUnfolding({ energy: quadratic, steps, layers: 2, guard: { mode: "throw", watch: "total" } }), backend, {
      state: p.state,
      params: zero,
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(MonotonicityError);
    expect((e as Error).message).toContain("step 'scale'");
    expect((e as Error).message).toContain("total energy");
  });

  it("closedFormStep applies the step a term declares, with its step size", async () => {
    const lambda = 3;
    // anchor(X) = lambda/2 |X - C|^2; its exact minimization, relaxed by t: X <- X - t (X - C).
    const anchored = defineEnergy({
      name: "anchored",
      params: { C: { shape: [n, d] } },
      terms: [
        {
          name: "anchor",
          value: (x, q) => x.sub(q["C"]!).square().sum().mul(lambda / 2),
          closedForm: (x, q, t) => x.sub(x.sub(q["C"]!).mul(t)),
        },
      ],
    });
    const rng = new Random(8);
    const C = rng.normals(n * d);
    const x0 = rng.normals(n * d);
    const params = { C: hostTensor(C, [n, d]) };
    const full = closedFormStep(anchored, "anchor");
    expect([full.kind, full.terms, full.stepSize, full.name]).toEqual(["closedForm", ["anchor"], 1, "closedForm(anchor)"]);
    const one = await runUnfolding(defineUnfolding({ energy: anchored, steps: [full], layers: 1 }), backend, { state: hostTensor(x0, [n, d]), params });
    expectClose(one.state.data, C);
    expect(one.trace.layers[1]!.energy).toBeCloseTo(0, 20);

    const half = closedFormStep(anchored, "anchor", { stepSize: 0.5, name: "half" });
    const two = await runUnfolding(defineUnfolding({ energy: anchored, steps: [half], layers: 2 }), backend, { state: hostTensor(x0, [n, d]), params });
    expect(two.trace.steps.map((s) => [s.step, s.stepSize])).toEqual([
      ["half", 0.5],
      ["half", 0.5],
    ]);
    expectClose(two.state.data, x0.map((v, i) => C[i]! + 0.25 * (v - C[i]!)));
    // The declared step is gradient descent with step t / lambda: check it against autodiff.
    const viaGradient = gradientStep(anchored, { stepSize: 0.5 / lambda });
    const three = await runUnfolding(defineUnfolding({ energy: anchored, steps: [viaGradient], layers: 2 }), backend, { state: hostTensor(x0, [n, d]), params });
    expectClose(three.state.data, two.state.data);
  });
});
