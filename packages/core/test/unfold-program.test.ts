import { describe, expect, it } from "vitest";
import { type Energy, type HostTensor, type ParamValues, type StepSizeContext, type Unfolding, defineEnergy, defineUnfolding, energyProgram, gradientStep, hostTensor, interpret, layerParam, optimize, projectionStep, relativeError, runToHost, runUnfolding, stepProgram, symmetricEigen, unfoldedProgram } from "../src/index.js";
import { n, d, quadratic, termsJS, energyJS, gradJS, L, type Problem, problem, backend, gd, expectClose } from "./unfold/fixtures.js";

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
