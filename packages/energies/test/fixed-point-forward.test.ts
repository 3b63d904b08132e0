// Forward solvers on zoo energies (float64, reference backend): the fixed point of one tied layer
// equals a long unrolling (runUnfolding, K = 500), and Anderson reaches the tolerance in fewer
// layer evaluations than plain iteration. The counts are printed for the record, not asserted.
// The Energy Transformer is left out: its step moves x along dE/dg with g = LayerNorm(x), which at
// the minimum over the layer-norm manifold is normal to it, so x drifts (||T(Y) - Y|| stays near
// 2.7 while ||Y|| grows linearly) and the relative residual falls only as 1/k: T has no fixed point.
import { describe, expect, it } from "vitest";
import { type HostTensor, type ParamValues, ReferenceBackend, defineUnfolding, gradientStep, relativeError, runUnfolding, solveFixedPoint } from "@unfold/core";
import { ZOO } from "../src/zoo/index.js";
import { hopfieldZooEntry } from "../src/hopfield/zoo.js";

const backend = new ReferenceBackend();
const TOL = 1e-9;
const UNROLLED = 500;

/** A zoo entry's example as one tied layer (the Yang example's first parameter set), under a throw guard. */
function tiedExample(name: string, layers = 1): { unfolding: ReturnType<typeof defineUnfolding>; state: HostTensor; params: ParamValues } {
  const entry = ZOO.find((e) => e.name === name)!;
  const example = entry.example("float64");
  const params = Array.isArray(example.params) ? (example.params as readonly ParamValues[])[0]! : (example.params as ParamValues);
  const { energy, steps } = example.unfolding;
  return { unfolding: defineUnfolding({ energy, steps, layers, guard: { mode: "throw" } }), state: example.state, params };
}

describe.each(["yang", "hopfield", "crate-ista"])("fixed point of the %s layer", (name) => {
  it("plain iteration and Anderson both reach the K = 500 unrolling's state; Anderson in fewer layer evaluations", async () => {
    const { unfolding, state, params } = tiedExample(name);
    const plain = await solveFixedPoint(unfolding, backend, { state, params, tol: TOL, maxIterations: 2000 });
    const anderson = await solveFixedPoint(unfolding, backend, { state, params, tol: TOL, maxIterations: 2000, solver: "anderson" });
    const unrolled = await runUnfolding(tiedExample(name, UNROLLED).unfolding, backend, { state, params });
    console.log(
      `${name}: to relative residual ${TOL}, plain iteration ${plain.layerEvaluations} layer evaluations, Anderson (m = 5) ${anderson.layerEvaluations} ` +
        `(${anderson.trace.filter((r) => r.safeguarded).length} mixes refused or taken back by the safeguard); ` +
        `|plain - unrolled| / |unrolled| = ${relativeError(plain.state.data, unrolled.state.data).toExponential(2)}, ` +
        `|Anderson - unrolled| / |unrolled| = ${relativeError(anderson.state.data, unrolled.state.data).toExponential(2)}`,
    );
    expect(plain.converged).toBe(true);
    expect(anderson.converged).toBe(true);
    expect(plain.warnings).toEqual([]);
    expect(anderson.warnings).toEqual([]);
    expect(anderson.layerEvaluations).toBeLessThan(plain.layerEvaluations);
    // Contracting by rho per layer, a residual of TOL leaves the state within TOL / (1 - rho) of the
    // fixed point; rho is at most 0.9 here, and the unrolling is converged far below that.
    expect(relativeError(plain.state.data, unrolled.state.data)).toBeLessThan(100 * TOL);
    expect(relativeError(anderson.state.data, unrolled.state.data)).toBeLessThan(100 * TOL);
  }, 120_000);
});

describe("line search on a zoo energy", () => {
  it("the Hopfield energy's gradient-step layer, searched, reaches the fixed point of its CCCP layer", async () => {
    const example = hopfieldZooEntry.example("float64");
    const { energy } = example.unfolding;
    const params = example.params as ParamValues;
    const cccp = await solveFixedPoint(defineUnfolding({ energy, steps: example.unfolding.steps, layers: 1 }), backend, { state: example.state, params, tol: TOL });
    const gradient = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.5 })], layers: 1 });
    const plain = await solveFixedPoint(gradient, backend, { state: example.state, params, tol: TOL, maxIterations: 2000 });
    const searched = await solveFixedPoint(gradient, backend, { state: example.state, params, tol: TOL, solver: "line-search" });
    console.log(`hopfield gradient layer: plain iteration ${plain.layerEvaluations} layer evaluations, line search ${searched.layerEvaluations} (and ${searched.energyEvaluations} energy evaluations)`);
    expect(searched.converged).toBe(true);
    expect(searched.trace.every((r) => r.energyChange <= 1e-10 * Math.max(1, Math.abs(r.energy)))).toBe(true);
    expect(relativeError(searched.state.data, cccp.state.data)).toBeLessThan(100 * TOL);
  }, 120_000);
});
