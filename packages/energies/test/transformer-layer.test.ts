import { ReferenceBackend, Random, defineUnfolding, hostTensor, interpret, layerParam, relativeError, runUnfolding, unfoldedProgram } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { equalMetricNorms, metricFromWa, transformerLayerError } from "../src/fidelity/index.js";
import { standardTransformerLayer } from "../src/reference/index.js";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "../src/index.js";

describe("an unfolded Yang layer is a Transformer layer", () => {
  it("equals softmax attention with the residual, the symmetric feed-forward map and ReLU (rel. err. <= 1e-10)", () => {
    for (const [n, d] of [[3, 2], [10, 4], [20, 10]] as const) {
      for (const seed of [1, 2, 3]) {
        for (const attentionStepSize of [1, 0.7, 0.2]) {
          expect(transformerLayerError({ seed, n, d, attentionStepSize })).toBeLessThanOrEqual(1e-10);
          expect(transformerLayerError({ seed, n, d, attentionStepSize, feedForwardGradient: "closedForm" })).toBeLessThanOrEqual(1e-10);
        }
      }
    }
  });

  it("differs from it when token norms are unequal (the check can fail)", () => {
    const [n, d] = [8, 4];
    const rng = new Random(4);
    const params = initYangParams({ dim: d }, { seed: 5 });
    const Ws = metricFromWa(params["Wa"]!.data, d, d);
    const Y = rng.normals(n * d);
    const unfolding = defineUnfolding({ energy: yangEnergy({ dim: d }), steps: yangLayerSteps(yangEnergy({ dim: d }), { feedForwardStepSize: 0.3 }), layers: 1 });
    const out = interpret(unfoldedProgram(unfolding, [n, d], "float64"), new Map([["state", Y], ...Object.entries(params).map(([k, v]) => [k, Float64Array.from(v.data)] as [string, Float64Array])]));
    const standard = standardTransformerLayer(Y, n, d, { Ws, Wf: Float64Array.from(params["Wf"]!.data), b: Float64Array.from(params["b"]!.data), attentionStepSize: 1, feedForwardStepSize: 0.3 });
    expect(relativeError(out.get("state")!, standard)).toBeGreaterThan(1e-4);
  });

  it("untied layers compose: two unfolded layers with their own weights equal two standard layers", () => {
    const [n, d] = [6, 3];
    const energy = yangEnergy({ dim: d });
    const sets = [initYangParams({ dim: d }, { seed: 10 }), initYangParams({ dim: d }, { seed: 11 })];
    const Ws0 = metricFromWa(sets[0]!["Wa"]!.data, d, d);
    const Y = equalMetricNorms(new Random(3).normals(n * d), n, d, Ws0, 1);
    const alpha = Math.min(...sets.map((s) => safeFeedForwardStepSize(s, d)));
    const unfolding = defineUnfolding({ energy, steps: yangLayerSteps(energy, { feedForwardStepSize: alpha }), layers: 2, tiedWeights: false });
    const feeds = new Map<string, Float64Array>([["state", Y]]);
    sets.forEach((set, layer) => Object.entries(set).forEach(([name, t]) => feeds.set(layerParam(name, layer), Float64Array.from(t.data))));
    const got = interpret(unfoldedProgram(unfolding, [n, d], "float64"), feeds).get("state")!;
    // The untied program must be each layer's own one-layer unfolding, applied in turn. (Only the
    // first layer's input has equal W_s-norms, so only it is compared with the standard layer.)
    let state = Y;
    sets.forEach((set) => {
      const one = defineUnfolding({ energy, steps: yangLayerSteps(energy, { feedForwardStepSize: alpha }), layers: 1 });
      const f = new Map<string, Float64Array>([["state", state], ...Object.entries(set).map(([k, v]) => [k, Float64Array.from(v.data)] as [string, Float64Array])]);
      state = interpret(unfoldedProgram(one, [n, d], "float64"), f).get("state")!;
    });
    expect(relativeError(got, state)).toBeLessThanOrEqual(1e-14);
    const firstStandard = standardTransformerLayer(Y, n, d, { Ws: Ws0, Wf: Float64Array.from(sets[0]!["Wf"]!.data), b: Float64Array.from(sets[0]!["b"]!.data), attentionStepSize: 1, feedForwardStepSize: alpha });
    const firstUnfolded = interpret(unfoldedProgram(defineUnfolding({ energy, steps: yangLayerSteps(energy, { feedForwardStepSize: alpha }), layers: 1 }), [n, d], "float64"), new Map([["state", Y], ...Object.entries(sets[0]!).map(([k, v]) => [k, Float64Array.from(v.data)] as [string, Float64Array])])).get("state")!;
    expect(relativeError(firstUnfolded, firstStandard)).toBeLessThanOrEqual(1e-10);
  });

  it("12 tied layers on non-negative tokens: every sub-step lowers the term it descends", async () => {
    const [n, d] = [12, 5];
    const energy = yangEnergy({ dim: d });
    const params = initYangParams({ dim: d }, { seed: 21 });
    const unfolding = defineUnfolding({
      energy,
      steps: yangLayerSteps(energy, { feedForwardStepSize: safeFeedForwardStepSize(params, d), attentionStepSize: 0.8 }),
      layers: 12,
      guard: { mode: "throw", watch: "terms" },
    });
    const state = hostTensor(new Random(8).uniforms(n * d, 0, 1.5), [n, d]);
    const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state, params });
    expect(trace.layers).toHaveLength(13);
    expect(trace.steps).toHaveLength(24);
    for (const s of trace.steps) expect(s.increased).toBe(false);
    for (const l of trace.layers) expect(l.terms["attention"]! + l.terms["feedForward"]!).toBeCloseTo(l.energy, 10);
  });
});
