import { describe, expect, it, vi } from "vitest";
import {
  type Energy,
  type HostTensor,
  MonotonicityError,
  type ParamValues,
  Random,
  ReferenceBackend,
  type Step,
  type StepSizeContext,
  type Tensor,
  UnfoldError,
  type Unfolding,
  closedFormStep,
  defineEnergy,
  defineUnfolding,
  energyProgram,
  gradientStep,
  hostTensor,
  interpret,
  layerParam,
  optimize,
  projectionStep,
  proximalStep,
  relativeError,
  runToHost,
  runUnfolding,
  solve,
  stepProgram,
  symmetricEigen,
  unfoldedProgram,
} from "../src/index.js";

const n = 4;
const d = 3;

// ---------------------------------------------------------------------------------------------
// E(X) = 1/2 <X, A X> - <B, X> on a state X of shape [n, d], as two named terms.

const quadratic: Energy = defineEnergy({
  name: "quadratic",
  params: { A: { shape: [n, n], constraint: "symmetric" }, B: { shape: [n, d] } },
  terms: [
    { name: "quadratic", value: (x, p) => x.mul(p["A"]!.matmul(x)).sum().mul(0.5) },
    { name: "linear", value: (x, p) => x.mul(p["B"]!).sum().neg() },
  ],
});

// Plain-JS versions, the oracle for the tests.

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) for (let p = 0; p < inner; p++) out[i * cols + j]! += a[i * inner + p]! * b[p * cols + j]!;
  return out;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

function termsJS(A: ArrayLike<number>, B: ArrayLike<number>, x: ArrayLike<number>): { quadratic: number; linear: number } {
  return { quadratic: 0.5 * dot(x, matmul(A, x, n, n, d)), linear: -dot(B, x) };
}

function energyJS(A: ArrayLike<number>, B: ArrayLike<number>, x: ArrayLike<number>): number {
  const t = termsJS(A, B, x);
  return t.quadratic + t.linear;
}

function gradJS(A: ArrayLike<number>, B: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  return matmul(A, x, n, n, d).map((v, i) => v - B[i]!);
}

/** A symmetric positive definite matrix with the given eigenvalues and random eigenvectors. */
function spd(eigenvalues: readonly number[], seed: number): Float64Array {
  const g = new Random(seed).normals(n * n);
  const sym = g.map((_, k) => (g[k]! + g[(k % n) * n + Math.floor(k / n)]!) / 2);
  const q = symmetricEigen(sym, n).vectors;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += q[i * n + k]! * eigenvalues[k]! * q[j * n + k]!;
  // Exactly symmetric, so the 'symmetric' constraint holds to the last bit.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
  return a;
}

const EIGS = [0.5, 1, 2, 4];
const L = 4;

interface Problem {
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly x0: Float64Array;
  readonly params: ParamValues;
  readonly state: HostTensor;
}

function problem(seed: number, eigenvalues: readonly number[] = EIGS): Problem {
  const rng = new Random(seed);
  const A = spd(eigenvalues, seed + 1);
  const B = rng.normals(n * d);
  const x0 = rng.normals(n * d);
  return { A, B, x0, params: { A: hostTensor(A, [n, n]), B: hostTensor(B, [n, d]) }, state: hostTensor(x0, [n, d]) };
}

const backend = new ReferenceBackend();
const gd = (stepSize: number, extra: Partial<Parameters<typeof gradientStep>[1]> = {}): Step =>
  gradientStep(quadratic, { stepSize, name: "gd", ...extra });

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-12): void {
  expect(relativeError(got, want)).toBeLessThan(tol);
}

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

describe("unfoldedProgram", () => {
  const feedsOf = (state: HostTensor, sets: readonly ParamValues[], tied: boolean): Record<string, HostTensor> => {
    const feeds: Record<string, HostTensor> = { state };
    sets.forEach((set, l) => {
      for (const [name, value] of Object.entries(set)) feeds[tied ? name : layerParam(name, l)] = value;
    });
    return feeds;
  };

  async function compare(unfolding: Unfolding, state: HostTensor, sets: readonly ParamValues[]): Promise<void> {
    const run = await runUnfolding(unfolding, backend, { state, params: unfolding.tiedWeights ? sets[0]! : sets });
    const program = unfoldedProgram(unfolding, [n, d], "float64", { energies: true });
    expect(program.feeds.map((f) => f.name).sort()).toEqual(Object.keys(feedsOf(state, sets, unfolding.tiedWeights)).sort());
    const exe = await backend.compile(program);
    const out = await runToHost(exe, feedsOf(state, sets, unfolding.tiedWeights));
    expect(relativeError(out["state"]!.data, run.state.data)).toBeLessThan(1e-12);
    for (let l = 0; l <= unfolding.layers; l++) expect(out[`energy.${l}`]!.data[0]).toBeCloseTo(run.trace.layers[l]!.energy, 10);
    // The optimized program computes the same, through the interpreter.
    const feeds = new Map(Object.entries(feedsOf(state, sets, unfolding.tiedWeights)).map(([k, v]) => [k, Float64Array.from(v.data)]));
    const opt = optimize(program);
    expect(opt.nodes.length).toBeLessThan(program.nodes.length);
    expect(relativeError(interpret(opt, feeds).get("state")!, run.state.data)).toBeLessThan(1e-12);
  }

  it("matches runUnfolding with tied weights", async () => {
    const p = problem(40);
    const unfolding = defineUnfolding({
      energy: quadratic,
      steps: [gd(1 / L), projectionStep("clip", (x) => x.minimum(1).maximum(-1))],
      layers: 5,
      stepSizes: { gd: [0.1, 0.2, 0.25, 0.2, 0.1] },
    });
    await compare(unfolding, p.state, [p.params]);
  });

  it("matches runUnfolding with untied weights", async () => {
    const p = problem(41);
    const sets = [0, 1, 2].map((l) => problem(200 + l).params);
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 3, tiedWeights: false });
    await compare(unfolding, p.state, sets);
    const program = unfoldedProgram(unfolding, [n, d], "float64");
    expect(program.feeds.filter((f) => f.kind === "param").map((f) => f.name)).toEqual(["A.0", "B.0", "A.1", "B.1", "A.2", "B.2"]);
    expect(program.outputs.map((o) => o.name)).toEqual(["state"]);
  });

  it("energyProgram and stepProgram expose the energy by term", async () => {
    const p = problem(42);
    const e = await runToHost(await backend.compile(energyProgram(quadratic, [n, d], "float64")), { state: p.state, ...p.params });
    expect(Object.keys(e).sort()).toEqual(["energy", "term:linear", "term:quadratic"]);
    expect(e["energy"]!.data[0]).toBeCloseTo(energyJS(p.A, p.B, p.x0), 12);
    const s = await runToHost(await backend.compile(stepProgram(quadratic, gd(1), [n, d], "float64")), {
      state: p.state,
      stepSize: hostTensor([0.1], []),
      ...p.params,
    });
    const next = p.x0.map((v, i) => v - 0.1 * gradJS(p.A, p.B, p.x0)[i]!);
    expectClose(s["state"]!.data, next);
    expect(s["term:quadratic"]!.data[0]).toBeCloseTo(termsJS(p.A, p.B, next).quadratic, 12);
  });
});

describe("energies with an activation", () => {
  // E = 1/2 <g, A g> - <B, g> with g = tanh(X): the terms see g, dynamics may follow dE/dg.
  const hopfield: Energy = defineEnergy({
    name: "hopfield",
    params: quadratic.params,
    activation: (x) => x.tanh(),
    terms: quadratic.terms,
  });

  function run(through: "state" | "activation", p: Problem, alpha: number, K: number): Float64Array {
    let x = Float64Array.from(p.x0);
    for (let l = 0; l < K; l++) {
      const g = x.map(Math.tanh);
      const dEdg = gradJS(p.A, p.B, g);
      x = x.map((v, i) => v - alpha * (through === "activation" ? dEdg[i]! : dEdg[i]! * (1 - g[i]! ** 2)));
    }
    return x;
  }

  it("gradientStep({ through: 'activation' }) follows dE/dg and still descends E", async () => {
    const p = problem(50);
    const K = 10;
    const alpha = 0.5 / L;
    const step = gradientStep(hopfield, { stepSize: alpha, through: "activation", name: "et" });
    const { state, trace } = await runUnfolding(defineUnfolding({ energy: hopfield, steps: [step], layers: K, guard: { mode: "throw" } }), backend, {
      state: p.state,
      params: p.params,
    });
    expectClose(state.data, run("activation", p, alpha, K));
    expect(relativeError(state.data, run("state", p, alpha, K))).toBeGreaterThan(1e-3);
    expect(trace.layers[0]!.energy).toBeCloseTo(energyJS(p.A, p.B, p.x0.map(Math.tanh)), 12);
    for (let l = 1; l <= K; l++) expect(trace.layers[l]!.energy).toBeLessThan(trace.layers[l - 1]!.energy);
  });

  it("gradientStep through the state follows dE/dx = J^T dE/dg", async () => {
    const p = problem(51);
    const alpha = 0.5 / L;
    const step = gradientStep(hopfield, { stepSize: alpha });
    const { state } = await runUnfolding(defineUnfolding({ energy: hopfield, steps: [step], layers: 4 }), backend, { state: p.state, params: p.params });
    expectClose(state.data, run("state", p, alpha, 4));
  });

  it("unfoldedProgram agrees through the activation too", async () => {
    const p = problem(52);
    const step = gradientStep(hopfield, { stepSize: 0.1, through: "activation" });
    const unfolding = defineUnfolding({ energy: hopfield, steps: [step], layers: 3 });
    const { state } = await runUnfolding(unfolding, backend, { state: p.state, params: p.params });
    const out = await runToHost(await backend.compile(unfoldedProgram(unfolding, [n, d], "float64")), { state: p.state, ...p.params });
    expect(relativeError(out["state"]!.data, state.data)).toBeLessThan(1e-12);
  });
});

describe("a step-size bound from outside the schedule", () => {
  // The quadratic term's Hessian has the eigenvalues of A: 2 / lambda_max is the largest safe step.
  const curvatureBound = (ctx: StepSizeContext): number => 2 / Math.max(...symmetricEigen(ctx.params["A"]!.data, n).values) / 2;

  it("'limit' runs min(scheduled, bound): a step too long for the energy descends, and the bound sees each state", async () => {
    const p = problem(3);
    const K = 4;
    const contexts: StepSizeContext[] = [];
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: K, guard: { mode: "throw" } });
    const { trace } = await runUnfolding(unfolding, backend, {
      state: p.state,
      params: p.params,
      stepSizeBound: { mode: "limit", bound: (ctx) => (contexts.push(ctx), curvatureBound(ctx)) },
    });
    for (const s of trace.steps) expect(s.stepSize).toBeCloseTo(1 / L, 12);
    expect(trace.steps).toHaveLength(K);
    expect(trace.steps.every((s) => !s.increased)).toBe(true);
    expect(contexts.map((c) => [c.layer, c.stepIndex, c.scheduled, c.step.name])).toEqual(Array.from({ length: K }, (_, l) => [l + 1, 0, 3 / L, "gd"]));
    // Each bound saw the state the step started from: x0, then the state after each earlier step.
    expect(relativeError(contexts[0]!.state.data, p.x0)).toBe(0);
    let x = Float64Array.from(p.x0);
    for (let l = 1; l < K; l++) {
      x = x.map((v, i) => v - (1 / L) * gradJS(p.A, p.B, x)[i]!);
      expectClose(contexts[l]!.state.data, x);
    }
  });

  it("'check' leaves the schedule alone and reports a size above the bound: a warning, or an error under a throw guard", async () => {
    const p = problem(4);
    const warnOnly = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: 2, guard: { mode: "warn" } });
    const { trace } = await runUnfolding(warnOnly, backend, { state: p.state, params: p.params, stepSizeBound: { mode: "check", bound: curvatureBound } });
    expect(trace.steps.map((s) => s.stepSize)).toEqual([3 / L, 3 / L]);
    expect(trace.warnings.filter((w) => /step size 0\.75 exceeds the bound 0\.2(5|49999)/.test(w))).toHaveLength(2);
    const strict = defineUnfolding({ energy: quadratic, steps: [gd(3 / L)], layers: 2, guard: { mode: "throw" } });
    await expect(runUnfolding(strict, backend, { state: p.state, params: p.params, stepSizeBound: { mode: "check", bound: curvatureBound } })).rejects.toThrow(
      /layer 1, step 'gd': step size 0\.75 exceeds the bound 0\.2(5|49999)/,
    );
    // Within the bound: no warning at all.
    const safe = defineUnfolding({ energy: quadratic, steps: [gd(1 / L)], layers: 2, guard: { mode: "throw" } });
    const ok = await runUnfolding(safe, backend, { state: p.state, params: p.params, stepSizeBound: { mode: "check", bound: curvatureBound } });
    expect(ok.trace.warnings).toEqual([]);
  });

  it("applies only to the steps it names, and rejects a bound that is not a positive number", async () => {
    const p = problem(5);
    const calls: string[] = [];
    const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(1 / L), gd(1 / L, { name: "other" })], layers: 2 });
    await runUnfolding(unfolding, backend, { state: p.state, params: p.params, stepSizeBound: { mode: "limit", steps: ["other"], bound: (ctx) => (calls.push(ctx.step.name), 1) } });
    expect(calls).toEqual(["other", "other"]);
    for (const bad of [0, -1, Number.NaN]) {
      await expect(runUnfolding(unfolding, backend, { state: p.state, params: p.params, stepSizeBound: { mode: "limit", bound: () => bad } })).rejects.toThrow(
        `stepSizeBound returned ${bad} for layer 1, step 'gd'`,
      );
    }
  });
});
