import { type ParamNames, type ParamValues, ReferenceBackend, defineUnfolding, hostTensor, runUnfolding } from "@unfold/core";
import { describe, expect, expectTypeOf, it } from "vitest";
import { denseSynapse, identityLagrangian, lagrangianEnergyTransformer, lagrangianNetwork, lagrangianStep, layerNormLagrangian, tanhLagrangian } from "../src/index.js";
import type { EnergyTransformerParam } from "../src/energy-transformer/energy.js";

// The parameter names given to the factories type the network's energy, its step and the feeds
// of a run: `tsc` checks these tests (a misspelt name is a compile error, marked @ts-expect-error
// below, so removing the typing makes tsc fail on the unused directive).
describe("a network's parameter names are typed", () => {
  const network = lagrangianNetwork({
    name: "typed",
    layers: {
      a: { width: 2, lagrangian: layerNormLagrangian({ gain: "gain", bias: "bias" }) },
      b: { width: 3, lagrangian: tanhLagrangian() },
      c: { width: 2, lagrangian: identityLagrangian() },
    },
    synapses: [denseSynapse({ name: "ab", from: "a", to: "b", weight: "Wab" }), denseSynapse({ name: "bc", from: "b", to: "c", weight: "Wbc" })],
  });

  it("from the Lagrangians' and the synapses' names", () => {
    expectTypeOf<ParamNames<typeof network.energy>>().toEqualTypeOf<"gain" | "bias" | "Wab" | "Wbc">();
    const et = lagrangianEnergyTransformer({ dim: 4, heads: 1, headDim: 2, memories: 3 });
    expectTypeOf<ParamNames<typeof et.energy>>().toEqualTypeOf<EnergyTransformerParam>();
    expect(Object.keys(et.energy.params).sort()).toEqual(["Wk", "Wq", "lnBias", "lnGain", "xi"]);
    expect(Object.keys(network.energy.params).sort()).toEqual(["Wab", "Wbc", "bias", "gain"]);
  });

  it("in a run's feeds: a misspelt name does not compile, and at run time it is refused naming it", async () => {
    const unfolding = defineUnfolding({ energy: network.energy, steps: [lagrangianStep(network)], layers: 1 });
    const tensor = (shape: number[]) => hostTensor(new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape);
    const good: ParamValues<"gain" | "bias" | "Wab" | "Wbc"> = { gain: tensor([]), bias: tensor([2]), Wab: tensor([2, 3]), Wbc: tensor([3, 2]) };
    const state = tensor([1, 7]);
    await expect(runUnfolding(unfolding, new ReferenceBackend(), { state, params: good })).resolves.toBeDefined();
    // @ts-expect-error: 'Wcb' is not a parameter of this network (and 'Wbc' is missing)
    const misspelt = runUnfolding(unfolding, new ReferenceBackend(), { state, params: { gain: good.gain, bias: good.bias, Wab: good.Wab, Wcb: good.Wbc } });
    await expect(misspelt).rejects.toThrow(/unknown parameter 'Wcb' for energy 'typed'/);
  });
});
