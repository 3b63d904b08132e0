// Composition: sums of energies, and terms and energies reused under renamed parameters.
import { describe, expect, it } from "vitest";
import {
  type Energy,
  type EnergyTerm,
  type HostTensor,
  ReferenceBackend,
  defineEnergy,
  defineUnfolding,
  energyProgram,
  gradientStep,
  hostTensor,
  ops,
  renameEnergy,
  renameParams,
  runToHost,
  runUnfolding,
  sumEnergies,
} from "../src/index.js";

/** 1/2 <x W, x> - <b, x> on a state [2, 3]. */
const quadratic = defineEnergy({
  name: "quadratic",
  params: { W: { shape: [3, 3], constraint: "symmetric" }, b: { shape: [3] } },
  terms: [
    { name: "curvature", value: (x, p) => ops.mul(ops.sum(ops.mul(ops.matmul(x, p.W), x)), 0.5) },
    { name: "linear", value: (x, p) => ops.neg(ops.sum(ops.mul(x, p.b))) },
  ],
});

const x = hostTensor([1, -2, 0.5, 0, 1, 2], [2, 3]);
const W1 = hostTensor([2, 0, 0, 0, 3, 1, 0, 1, 4], [3, 3]);
const W2 = hostTensor([1, 0.5, 0, 0.5, 1, 0, 0, 0, 1], [3, 3]);
const b1 = hostTensor([1, 0, -1], [3]);
const b2 = hostTensor([0.5, 0.5, 0.5], [3]);

/** Each term's value at x, by the energy program on the reference backend. */
async function terms(energy: Parameters<typeof energyProgram>[0], params: Record<string, HostTensor>): Promise<Record<string, number>> {
  const executable = await new ReferenceBackend().compile(energyProgram(energy, [2, 3], "float64"));
  const outs = await runToHost(executable, { state: x, ...params });
  return Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, v.data[0]!]));
}

describe("sumEnergies and renaming", () => {
  it("an energy summed with a renamed copy of itself has each copy's terms at that copy's parameters", async () => {
    const second = renameEnergy(quadratic, { name: "second", params: { W: "W2", b: "b2" }, terms: { curvature: "curvature2", linear: "linear2" } });
    expect(Object.keys(second.params)).toEqual(["W2", "b2"]);
    expect(second.params.W2).toBe(quadratic.params.W);
    const both = sumEnergies("both", [quadratic, second]);
    const got = await terms(both, { W: W1, b: b1, W2, b2 });
    const one = await terms(quadratic, { W: W1, b: b1 });
    const two = await terms(quadratic, { W: W2, b: b2 });
    expect(got["term:curvature"]).toBe(one["term:curvature"]);
    expect(got["term:linear"]).toBe(one["term:linear"]);
    expect(got["term:curvature2"]).toBe(two["term:curvature"]);
    expect(got["term:linear2"]).toBe(two["term:linear"]);
    expect(got["energy"]).toBeCloseTo(one["energy"]! + two["energy"]!, 12);
    // Different parameters give different values, so a copy reading the original names would show.
    expect(one["energy"]).not.toBeCloseTo(two["energy"]!, 3);
  });

  it("a renamed energy keeps its constraints and its descent: the copy unfolds as the original does", async () => {
    const copy = renameEnergy(quadratic, { name: "copy", params: { W: "A" } });
    expect(copy.params.A.constraint).toBe("symmetric");
    const backend = new ReferenceBackend();
    const run = (e: Energy, params: Record<string, HostTensor>) =>
      runUnfolding(defineUnfolding({ energy: e, steps: [gradientStep(e, { stepSize: 0.1 })], layers: 5, guard: { mode: "throw" } }), backend, { state: x, params });
    const original = await run(quadratic, { W: W1, b: b1 });
    const renamed = await run(copy, { A: W1, b: b1 });
    expect(Array.from(renamed.state.data)).toEqual(Array.from(original.state.data));
    // The symmetric constraint travels with the renamed parameter.
    const skew = hostTensor([0, 1, 0, 0, 0, 0, 0, 0, 0], [3, 3]);
    await expect(run(copy, { A: skew, b: b1 })).rejects.toThrow("parameter 'A' must be symmetric");
  });

  it("a renamed activation reads the new names", async () => {
    const gated = defineEnergy({
      name: "gated",
      params: { gain: { shape: [] } },
      activation: (s, p) => ops.mul(ops.tanh(s), p.gain),
      terms: [{ name: "size", value: (g) => ops.mul(ops.sum(ops.mul(g, g)), 0.5) }],
    });
    const renamed = renameEnergy(gated, { name: "gated2", params: { gain: "g2" } });
    const gain = hostTensor([1.5], []);
    expect(await terms(renamed, { g2: gain })).toEqual(await terms(gated, { gain }));
  });

  it("one term serves two energies under different parameter names", async () => {
    const synapse: EnergyTerm<"W"> = { name: "synapse", value: (s, p) => ops.neg(ops.sum(ops.mul(ops.matmul(s, p.W), s))) };
    const layered = defineEnergy({
      name: "layered",
      params: { W1: { shape: [3, 3] }, W2: { shape: [3, 3] } },
      terms: [renameParams(synapse, { W: "W1" }, { name: "synapse1" }), renameParams(synapse, { W: "W2" }, { name: "synapse2" })],
    });
    const got = await terms(layered, { W1, W2 });
    const alone = defineEnergy({ name: "alone", params: { W: { shape: [3, 3] } }, terms: [synapse] });
    expect(got["term:synapse1"]).toBe((await terms(alone, { W: W1 }))["term:synapse"]);
    expect(got["term:synapse2"]).toBe((await terms(alone, { W: W2 }))["term:synapse"]);
  });
});
