import { type Energy, type HostTensor, ReferenceBackend, Random, energyProgram, hostTensor, relativeError, runToHost } from "@unfold/core";
import { ZOO } from "@unfold/energies/zoo";
import { describe, expect, test } from "vitest";
import { DEFAULT_ENERGY_SOURCE, DEFAULT_EXAMPLE_SHAPE, compileEnergySource } from "../src/editor/index.js";

/** The energy and each term of `energy` at `state`, on the float64 reference. */
async function evaluate(energy: Energy, state: HostTensor, params: Record<string, HostTensor>): Promise<Record<string, number>> {
  const executable = await new ReferenceBackend().compile(energyProgram(energy, state.shape, "float64"));
  const out = await runToHost(executable, { state, ...params });
  return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data[0]!]));
}

describe("the editor's default energy", () => {
  const zoo = ZOO.find((entry) => entry.name === "hopfield")!;
  const example = zoo.example("float64");
  const params = example.params as Record<string, HostTensor>;

  test("compiles, traced at the zoo example's state shape", () => {
    expect(example.state.shape).toEqual(DEFAULT_EXAMPLE_SHAPE);
    const result = compileEnergySource(DEFAULT_ENERGY_SOURCE, { exampleShape: DEFAULT_EXAMPLE_SHAPE });
    expect(result.ok ? [] : result.diagnostics).toEqual([]);
  });

  test("equals the zoo's hopfield energy on its data and at states around it (float64 reference)", async () => {
    const result = compileEnergySource(DEFAULT_ENERGY_SOURCE);
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(Object.keys(result.energy.params)).toEqual(Object.keys(example.unfolding.energy.params));
    const rng = new Random(7);
    const states = [example.state, ...[0.1, 1, 3].map((scale) => hostTensor(example.state.data.map((v) => v + scale * rng.normal()), example.state.shape))];
    for (const state of states) {
      const mine = await evaluate(result.energy, state, params);
      const theirs = await evaluate(example.unfolding.energy, state, params);
      expect(relativeError([mine["energy"]!], [theirs["energy"]!])).toBeLessThan(1e-12);
      expect(relativeError([mine["term:hopfield"]!], [theirs["term:hopfield"]!])).toBeLessThan(1e-12);
    }
  });
});
