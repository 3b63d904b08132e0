// The layer map T of a fixed-point model: one layer of a tied unfolding. Its program gives T(Y),
// the squared residual and ||Y||^2 as the plain-JavaScript oracle does, and an unfolding that is
// not one map (untied weights, sizes that change by layer) is refused naming what to change.
import { describe, expect, it } from "vitest";
import { LAYER_MAP_OUTPUTS, defineUnfolding, layerMap, layerMapProgram, runToHost, termOutput } from "../../src/index.js";
import { backend, d, dot, energyJS, expectClose, gd, gradJS, n, problem, quadratic } from "../unfold/fixtures.js";

describe("layerMap", () => {
  it("T(Y) is one layer of gradient descent, with its residual, ||Y||^2 and the energy at T(Y)", async () => {
    const { A, B, x0, params, state } = problem(3);
    const map = layerMap(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 7 }));
    const outs = await runToHost(await backend.compile(layerMapProgram(map, [n, d], "float64")), { state, ...params });
    const g = gradJS(A, B, x0);
    const next = x0.map((v, i) => v - 0.1 * g[i]!);
    expectClose(outs[LAYER_MAP_OUTPUTS.next]!.data, next);
    const diff = next.map((v, i) => v - x0[i]!);
    expectClose(outs[LAYER_MAP_OUTPUTS.residualSq]!.data, [dot(diff, diff)]);
    expectClose(outs[LAYER_MAP_OUTPUTS.stateSq]!.data, [dot(x0, x0)]);
    expectClose(outs[LAYER_MAP_OUTPUTS.energy]!.data, [energyJS(A, B, next)]);
    expect(Object.keys(outs)).toContain(termOutput("quadratic"));
  });

  it("applies a layer's steps in order at their sizes", async () => {
    const { A, B, x0, params, state } = problem(4);
    const map = layerMap(defineUnfolding({ energy: quadratic, steps: [gd(0.1, { name: "a" }), gd(0.2, { name: "b" })], layers: 1 }));
    expect(map.stepSizes).toEqual([0.1, 0.2]);
    const outs = await runToHost(await backend.compile(layerMapProgram(map, [n, d], "float64")), { state, ...params });
    const g1 = gradJS(A, B, x0);
    const x1 = x0.map((v, i) => v - 0.1 * g1[i]!);
    const g2 = gradJS(A, B, x1);
    expectClose(outs[LAYER_MAP_OUTPUTS.next]!.data, x1.map((v, i) => v - 0.2 * g2[i]!));
  });

  it("refuses untied weights and step sizes that change by layer, saying what to change", () => {
    expect(() => layerMap(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 3, tiedWeights: false }))).toThrow(
      "layerMap: a fixed point needs one layer map, but the unfolding of energy 'quadratic' has untied weights (one parameter set per layer); define it with tiedWeights: true",
    );
    expect(() => layerMap(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 3, stepSizes: { gd: [0.1, 0.1, 0.05] } }))).toThrow(
      "layerMap: a fixed point needs one layer map, but step 'gd' has size 0.1 at layer 1 and 0.05 at layer 3; give it one size for every layer",
    );
  });
});
