import { type HostTensor, Random, ReferenceBackend, UnfoldError, defineUnfolding, hostTensor, runUnfolding } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  denseSynapse,
  energyTransformerEnergy,
  energyTransformerStep,
  initEnergyTransformerParams,
  lagrangianEnergyTransformer,
  lagrangianNetwork,
  lagrangianStep,
  layerNormLagrangian,
} from "../src/index.js";

// With a negative gain the layer norm is the gradient of a concave Lagrangian and a small step
// raises the energy (lagrangian-descent.test.ts shows it), so the gain is declared 'nonNegative'
// and runUnfolding refuses a negative one before anything runs, naming the parameter.

const config = { dim: 6, heads: 2, headDim: 3, memories: 5 } as const;
const scalar = (v: number): HostTensor => hostTensor([v], []);
const tokens = (): HostTensor => hostTensor(new Random(3).normals(2 * 4 * config.dim), [2, 4, config.dim]);

describe("the layer-norm gain must be >= 0", () => {
  const backend = new ReferenceBackend();
  afterAll(() => backend.dispose());

  const et = energyTransformerEnergy(config);
  const etUnfolding = defineUnfolding({ energy: et, steps: [energyTransformerStep(et, { stepSize: 0.1 })], layers: 2 });
  const etParams = (gain: number) => ({ ...initEnergyTransformerParams(config, { seed: 1 }), lnGain: scalar(gain) });

  it("the Energy Transformer declares lnGain 'nonNegative', and so does its Lagrangian form", () => {
    expect(et.params.lnGain.constraint).toBe("nonNegative");
    expect(lagrangianEnergyTransformer(config).energy.params.lnGain.constraint).toBe("nonNegative");
  });

  it("the Energy Transformer runs with gain 1 and with gain 0", async () => {
    for (const gain of [1, 0]) {
      const { trace } = await runUnfolding(etUnfolding, backend, { state: tokens(), params: etParams(gain) });
      expect(trace.layers.length, `gain ${gain}`).toBe(3);
    }
  });

  it("runUnfolding refuses the Energy Transformer with a negative lnGain, naming it and its value", async () => {
    const refused = runUnfolding(etUnfolding, backend, { state: tokens(), params: etParams(-0.5) });
    await expect(refused).rejects.toThrow(UnfoldError);
    await expect(refused).rejects.toThrow("parameter 'lnGain' [] must be non-negative (every entry >= 0), but holds -0.5");
  });

  it("runUnfolding refuses the Lagrangian Energy Transformer with a negative lnGain", async () => {
    const network = lagrangianEnergyTransformer(config);
    const unfolding = defineUnfolding({ energy: network.energy, steps: [lagrangianStep(network, { stepSize: 0.1 })], layers: 2 });
    await expect(runUnfolding(unfolding, backend, { state: tokens(), params: etParams(-2) })).rejects.toThrow("parameter 'lnGain' [] must be non-negative");
  });

  it("runUnfolding refuses a layer-norm neuron layer's negative gain under the name the network gave it", async () => {
    const network = lagrangianNetwork({
      name: "layer-norm-pair",
      layers: { a: { width: 4, lagrangian: layerNormLagrangian({ gain: "a.gain", bias: "a.bias" }) }, b: { width: 3, lagrangian: layerNormLagrangian({ gain: "b.gain", bias: "b.bias" }) } },
      synapses: [denseSynapse({ name: "ab", from: "a", to: "b", weight: "W" })],
    });
    const rng = new Random(4);
    const params = (bGain: number) => ({
      "a.gain": scalar(1),
      "a.bias": hostTensor(rng.normals(4, 0.3), [4]),
      "b.gain": scalar(bGain),
      "b.bias": hostTensor(rng.normals(3, 0.3), [3]),
      W: hostTensor(rng.normals(12, 0.5), [4, 3]),
    });
    const unfolding = defineUnfolding({ energy: network.energy, steps: [lagrangianStep(network, { stepSize: 0.01 })], layers: 1 });
    const state = hostTensor(rng.normals(2 * network.width, 1), [2, network.width]);
    await expect(runUnfolding(unfolding, backend, { state, params: params(0.5) })).resolves.toBeDefined();
    await expect(runUnfolding(unfolding, backend, { state, params: params(-1) })).rejects.toThrow("parameter 'b.gain' [] must be non-negative (every entry >= 0), but holds -1");
  });
});
