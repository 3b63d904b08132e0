import { type Energy, ReferenceBackend, Random, defineUnfolding, hostTensor, interpret, relativeError, runUnfolding, stepProgram, trace, input, param, energyProgram } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { energyTransformerEnergy, energyTransformerStep, initEnergyTransformerParams } from "../src/index.js";

const config = { dim: 6, heads: 2, headDim: 3, memories: 5 } as const;

function layerNormRows(x: Float64Array, n: number, d: number, gain: number, bias: ArrayLike<number>, eps: number): Float64Array {
  const g = new Float64Array(n * d);
  for (let a = 0; a < n; a++) {
    let mean = 0;
    for (let c = 0; c < d; c++) mean += x[a * d + c]! / d;
    let variance = 0;
    for (let c = 0; c < d; c++) variance += (x[a * d + c]! - mean) ** 2 / d;
    for (let c = 0; c < d; c++) g[a * d + c] = (gain * (x[a * d + c]! - mean)) / Math.sqrt(variance + eps) + bias[c]!;
  }
  return g;
}

/** E_att + E_hn as functions of g, with plain loops (docs/mathematics.md, 'Energy Transformer'). */
function energyOfG(g: Float64Array, n: number, p: Record<string, Float64Array>, beta: number): { attention: number; hopfield: number } {
  const { dim: d, heads, headDim, memories } = config;
  const proj = (W: Float64Array, h: number, a: number, r: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += W[(h * headDim + r) * d + c]! * g[a * d + c]!;
    return s;
  };
  let attention = 0;
  for (let h = 0; h < heads; h++) {
    for (let C = 0; C < n; C++) {
      let total = 0;
      for (let B = 0; B < n; B++) {
        if (B === C) continue;
        let dot = 0;
        for (let r = 0; r < headDim; r++) dot += proj(p["Wk"]!, h, B, r) * proj(p["Wq"]!, h, C, r);
        total += Math.exp(beta * dot);
      }
      attention -= Math.log(total) / beta;
    }
  }
  let hopfield = 0;
  for (let mu = 0; mu < memories; mu++) {
    for (let a = 0; a < n; a++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += p["xi"]![mu * d + c]! * g[a * d + c]!;
      hopfield -= 0.5 * Math.max(0, dot) ** 2;
    }
  }
  return { attention, hopfield };
}

const feeds = (p: Record<string, { data: ArrayLike<number> }>): Record<string, Float64Array> =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v.data)]));

describe("Energy Transformer", () => {
  const n = 5;
  // Untyped (Energy, not Energy<"Wq" | ...>): these tests build parameter records by iterating over names.
  const energy: Energy = energyTransformerEnergy(config);
  const params = feeds(initEnergyTransformerParams(config, { seed: 3 }));
  params["lnGain"] = Float64Array.from([1.3]);
  const beta = 1 / Math.sqrt(config.headDim);
  const x = new Random(4).normals(n * config.dim);

  it("its energy equals the definition: layer-norm activation, logsumexp attention over B != C, ReLU^2 Hopfield", () => {
    const out = interpret(energyProgram(energy, [n, config.dim], "float64"), new Map([["state", x], ...Object.entries(params)]));
    const g = layerNormRows(x, n, config.dim, 1.3, params["lnBias"]!, 1e-5);
    const expected = energyOfG(g, n, params, beta);
    expect(out.get("term:attention")![0]!).toBeCloseTo(expected.attention, 11);
    expect(out.get("term:hopfield")![0]!).toBeCloseTo(expected.hopfield, 11);
  });

  it("its step is x - alpha dE/dg, derived by autodiff alone (checked against finite differences in g)", () => {
    const alpha = 0.1;
    const out = interpret(stepProgram(energy, energyTransformerStep(energy, { stepSize: alpha }), [n, config.dim], "float64"), new Map([["state", x], ["stepSize", Float64Array.from([alpha])], ...Object.entries(params)]));
    const next = out.get("state")!;
    const g = layerNormRows(x, n, config.dim, 1.3, params["lnBias"]!, 1e-5);
    const total = (gg: Float64Array): number => {
      const e = energyOfG(gg, n, params, beta);
      return e.attention + e.hopfield;
    };
    const h = 1e-6;
    const fd = g.map((_, k) => {
      const up = Float64Array.from(g);
      const down = Float64Array.from(g);
      up[k]! += h;
      down[k]! -= h;
      return (total(up) - total(down)) / (2 * h);
    });
    const implied = next.map((v, k) => (x[k]! - v) / alpha);
    expect(relativeError(implied, fd)).toBeLessThanOrEqual(1e-7);
  });

  it("12 steps at alpha = 0.1 descend the energy at every step", async () => {
    const unfolding = defineUnfolding({ energy, steps: [energyTransformerStep(energy, { stepSize: 0.1 })], layers: 12, guard: { mode: "throw", watch: "total" } });
    const { trace: t } = await runUnfolding(unfolding, new ReferenceBackend(), {
      state: hostTensor(x, [n, config.dim]),
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, hostTensor(v, energy.params[k]!.shape)])),
    });
    expect(t.layers).toHaveLength(13);
    for (let l = 1; l < t.layers.length; l++) expect(t.layers[l]!.energy).toBeLessThan(t.layers[l - 1]!.energy);
  });

  it("needs at least two tokens, and says so", () => {
    expect(() =>
      trace({ x: input([1, config.dim]), ...Object.fromEntries(Object.entries(energy.params).map(([k, s]) => [k, param(s.shape)])) }, (leaves) => {
        const { x: state, ...p } = leaves;
        return energy.terms[0]!.value(energy.activation!(state, p), p);
      }),
    ).toThrow(/attention needs at least 2 tokens/);
  });
});
