// The typed energy API, checked twice: by the compiler (this file is part of the package's
// `tsc --noEmit`, so each `@ts-expect-error` below must meet a real type error, and each
// `expectTypeOf` must hold), and at run time, where plain JavaScript gets the same mistakes
// reported by name.
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type Energy,
  type EnergyTerm,
  FeedError,
  type ParamNames,
  type ParamSpec,
  type ParamValues,
  type Params,
  ReferenceBackend,
  type Step,
  type Tensor,
  type Unfolding,
  UnfoldError,
  defineEnergy,
  defineUnfolding,
  energyProgram,
  gradientStep,
  hostTensor,
  logsumexp,
  ops,
  projectionStep,
  proximalStep,
  renameEnergy,
  renameParams,
  runUnfolding,
  sumEnergies,
} from "../src/index.js";

// A modern Hopfield energy, E(q) = -logsumexp(Xi q) + 1/2 ||q||^2, on a query q [n, 3].
const hopfield = defineEnergy({
  name: "hopfield",
  params: { Xi: { shape: [4, 3] }, bias: { shape: [3] } },
  terms: [
    {
      name: "memory",
      value: (q, p) => {
        // Inferred from `params`: a Tensor, with no `!` and no cast.
        expectTypeOf(p.Xi).toEqualTypeOf<Tensor>();
        expectTypeOf(p).toEqualTypeOf<Params<"Xi" | "bias">>();
        return ops.neg(ops.sum(logsumexp(ops.matmul(q, ops.swapLastAxes(p.Xi)), -1)));
      },
    },
    { name: "norm", value: (q, p) => ops.mul(ops.sum(ops.mul(ops.sub(q, p.bias), ops.sub(q, p.bias))), 0.5) },
  ],
});

// The same energy with a misspelt parameter in one term: a compile error in TypeScript, and in
// plain JavaScript (where the compiler is not there) an error naming the term and the parameter.
const misspelt = defineEnergy({
  name: "misspelt",
  params: { Xi: { shape: [4, 3] } },
  terms: [
    {
      name: "memory",
      // @ts-expect-error 'Xii' is no parameter of the energy (it declares only 'Xi').
      value: (q, p) => ops.neg(ops.sum(logsumexp(ops.matmul(q, ops.swapLastAxes(p.Xii)), -1))),
    },
  ],
});

const state = hostTensor([0.5, -1, 0.25, 1, 0, -0.5], [2, 3]);
const values = {
  Xi: hostTensor([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0.5], [4, 3]),
  bias: hostTensor([0, 0.1, -0.1], [3]),
};

describe("typed parameter names", () => {
  it("defineEnergy infers the names from params", () => {
    expectTypeOf(hopfield).toEqualTypeOf<Energy<"Xi" | "bias">>();
    expectTypeOf<ParamNames<typeof hopfield>>().toEqualTypeOf<"Xi" | "bias">();
    expectTypeOf(misspelt).toEqualTypeOf<Energy<"Xi">>();
    expect(Object.keys(hopfield.params)).toEqual(["Xi", "bias"]);
  });

  it("the names flow into steps, unfoldings and runUnfolding's params", async () => {
    const step = gradientStep(hopfield, { stepSize: 0.5 });
    expectTypeOf(step).toEqualTypeOf<Step<"Xi" | "bias">>();
    const unfolding = defineUnfolding({ energy: hopfield, steps: [step], layers: 3, guard: { mode: "throw" } });
    expectTypeOf(unfolding).toEqualTypeOf<Unfolding<"Xi" | "bias">>();
    const run = await runUnfolding(unfolding, new ReferenceBackend(), { state, params: values });
    expect(run.trace.layers.at(-1)!.energy).toBeLessThan(run.trace.layers[0]!.energy);

    const backend = new ReferenceBackend();
    // @ts-expect-error 'bias' is missing from the parameter values.
    const missing = runUnfolding(unfolding, backend, { state, params: { Xi: values.Xi } });
    await expect(missing).rejects.toThrow(new FeedError("params", "missing parameter 'bias' [3] for energy 'hopfield'"));
    const extra = runUnfolding(unfolding, backend, {
      state,
      // @ts-expect-error 'Xj' is no parameter of the energy.
      params: { ...values, Xj: values.Xi },
    });
    await expect(extra).rejects.toThrow("unknown parameter 'Xj' for energy 'hopfield' (parameters: Xi, bias)");
    // Untied weights: one typed set per layer.
    const untied = defineUnfolding({ energy: hopfield, steps: [step], layers: 2, tiedWeights: false });
    await runUnfolding(untied, backend, { state, params: [values, values] });
    // @ts-expect-error the second layer's set misspells 'bias'.
    const badLayer = runUnfolding(untied, backend, { state, params: [values, { Xi: values.Xi, bais: values.bias }] });
    await expect(badLayer).rejects.toThrow("params[1]: unknown parameter 'bais' for energy 'hopfield'");
  });

  it("a term that reads an undeclared parameter is an error naming the term and the parameter in plain JavaScript", () => {
    expect(() => energyProgram(misspelt, [2, 3], "float64")).toThrow(
      new UnfoldError("params", "term 'memory' of energy 'misspelt' reads parameter 'Xii', which energy 'misspelt' does not declare (declared: Xi)"),
    );
  });

  it("step options see the typed parameters", () => {
    gradientStep(hopfield, { stepSize: 0.1, preconditioner: (g, _x, p) => ops.mul(g, ops.sum(p.bias)) });
    // @ts-expect-error a preconditioner reading a parameter the energy lacks.
    gradientStep(hopfield, { stepSize: 0.1, preconditioner: (g, _x, p) => ops.mul(g, p.scale) });
    proximalStep(hopfield, { stepSize: 0.1, prox: (point, p) => ops.maximum(point, p.bias) });
    // @ts-expect-error a prox reading a parameter the energy lacks.
    proximalStep(hopfield, { stepSize: 0.1, prox: (point, p) => ops.maximum(point, p.floor) });
    const project = projectionStep("unit", (x, p: Params<"bias">) => ops.sub(x, p.bias));
    expectTypeOf(project).toEqualTypeOf<Step<"bias">>();
    defineUnfolding({ energy: hopfield, steps: [project], layers: 1 });
    const elsewhere = projectionStep("scaled", (x, p: Params<"scale">) => ops.mul(x, p.scale));
    // @ts-expect-error a step that reads 'scale', which this energy does not declare.
    defineUnfolding({ energy: hopfield, steps: [elsewhere], layers: 1 });
  });

  it("typed energies and steps stay usable where the untyped Energy and Step are expected", () => {
    const untyped: Energy = hopfield;
    const steps: Step[] = [gradientStep(hopfield, { stepSize: 0.1 })];
    const unfolding: Unfolding = defineUnfolding({ energy: untyped, steps, layers: 1 });
    expectTypeOf(untyped.params["anything"]).toEqualTypeOf<ParamSpec>();
    const loose: ParamValues = values;
    expect(unfolding.energy).toBe(hopfield);
    expect(Object.keys(loose)).toEqual(["Xi", "bias"]);
  });

  it("sumEnergies gives the union of the names, and a renamed term or energy carries its new names", () => {
    const pull = defineEnergy({ name: "pull", params: { T: { shape: [2, 3] } }, terms: [{ name: "pull", value: (x, p) => ops.sum(ops.mul(ops.sub(x, p.T), ops.sub(x, p.T))) }] });
    const sum = sumEnergies("both", [hopfield, pull]);
    expectTypeOf(sum).toEqualTypeOf<Energy<"Xi" | "bias" | "T">>();

    const norm: EnergyTerm<"W"> = { name: "norm", value: (x, p) => ops.sum(ops.mul(ops.matmul(x, p.W), x)) };
    const renamed = renameParams(norm, { W: "W2" });
    expectTypeOf(renamed).toEqualTypeOf<EnergyTerm<"W2">>();
    // @ts-expect-error the renamed term reads 'W2', so an energy declaring only 'W' does not take it.
    defineEnergy({ name: "stale", params: { W: { shape: [3, 3] } }, terms: [renamed] });
    defineEnergy({ name: "fresh", params: { W2: { shape: [3, 3] } }, terms: [renamed] });

    const copy = renameEnergy(hopfield, { name: "hopfield2", params: { Xi: "Xi2" }, terms: { memory: "memory2", norm: "norm2" } });
    expectTypeOf(copy).toEqualTypeOf<Energy<"Xi2" | "bias">>();
    expectTypeOf(renameEnergy(hopfield, { name: "same" })).toEqualTypeOf<Energy<"Xi" | "bias">>();
  });
});
