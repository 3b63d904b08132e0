// The energy figure's data for a fixed-point model: each profiled test input solved alone, its
// energy at every iterate from Y_0 to where the residual reached the tolerance. Checked against
// plain iteration of core's layerMapProgram run by hand with the same stopping rule.
import { type Feeds, LAYER_MAP_OUTPUTS, ReferenceBackend, energyProgram, hostTensor, layerMapProgram, runToHost } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { FixedPointRunner, INPUT, alignProfiles, fixedPointEnergyProfile, inputShape, isFixedPointProfile, mapParamsProgram } from "../src/index.js";
import { tinyModel, tinyParams, tinyTask } from "./fixed-point-fixture.js";

const task = tinyTask(16, 6);
const TOL = 1e-9;

describe("fixedPointEnergyProfile", () => {
  it("records each input's energy at every plain iteration to the tolerance, as iterating T by hand gives", async () => {
    const backend = new ReferenceBackend();
    const trainer = tinyModel(task, { solver: "iteration", tol: TOL });
    const model = trainer.fixedPoint!;
    const runner = await FixedPointRunner.compile(backend, trainer, task, { train: 2, eval: 2 }, "float64", {});
    const params = tinyParams(trainer) as Feeds;
    const indices = [0, 1, 2, 3, 4];
    const profile = await fixedPointEnergyProfile(runner, params, task, indices);
    expect(isFixedPointProfile(profile)).toBe(true);
    expect(profile.tol).toBe(TOL);

    const mapParams = await backend.compile(mapParamsProgram(model, trainer.specs, task, 1, "float64"));
    const step = await backend.compile(layerMapProgram(model.map(1), model.stateShape(1), "float64"));
    const energy = await backend.compile(energyProgram(model.map(1).energy, model.stateShape(1), "float64"));
    const rises: number[] = [];
    for (const [i, index] of indices.entries()) {
      const data = task.batch("test", [index]);
      const theta = await runToHost(mapParams, { ...params, [INPUT]: hostTensor(data.inputs, inputShape(task, 1), "float64") });
      let state = theta[model.start]!;
      const energies = [(await runToHost(energy, { ...theta, state }))["energy"]!.data[0]!];
      for (let k = 1; k <= 5000; k++) {
        const out = await runToHost(step, { ...theta, state });
        energies.push(out[LAYER_MAP_OUTPUTS.energy]!.data[0]!);
        state = out[LAYER_MAP_OUTPUTS.next]!;
        if (Math.sqrt(out[LAYER_MAP_OUTPUTS.residualSq]!.data[0]! / out[LAYER_MAP_OUTPUTS.stateSq]!.data[0]!) <= TOL) break;
      }
      expect(profile.iterations[i]).toBe(energies.length - 1);
      expect(profile.converged[i]).toBe(true);
      const row = profile.energies[i]!;
      for (const [k, e] of energies.entries()) expect(row[k]).toBeCloseTo(e, 12);
      // Rows of shorter solves are continued with their fixed point's energy.
      expect(row.slice(energies.length).every((e) => e === energies.at(-1))).toBe(true);
      // Each step of the layer lowers the terms it descends (the guard's test, `increases` below);
      // the total may still rise a little where the two steps pull against each other: reported.
      for (let k = 1; k < row.length; k++) {
        const rise = (row[k]! - row[k - 1]!) / Math.max(1, Math.abs(row[k - 1]!));
        if (rise > 0) rises.push(rise);
      }
    }
    console.log(`rises of the total energy under plain iteration: ${rises.length} of ${profile.iterations.reduce((a, b) => a + b, 0)} iterations, the largest ${Math.max(0, ...rises).toExponential(1)} relative`);
    expect(profile.increases).toBe(0);
    expect(new Set(profile.energies.map((row) => row.length)).size).toBe(1);
    expect(profile.meanByLayer).toHaveLength(Math.max(...profile.iterations) + 1);
    console.log(`energy profile, plain iteration to ${TOL}: iterations by input ${profile.iterations.join(" ")}; mean energy ${profile.meanByLayer[0]!.toFixed(4)} -> ${profile.meanByLayer.at(-1)!.toFixed(4)}`);

    // Two profiles of one run compare row by row: aligned, they have the same length, the extension repeating the last value.
    const short = { ...profile, energies: profile.energies.map((row) => row.slice(0, 3)), meanByLayer: profile.meanByLayer.slice(0, 3) };
    const [before, after] = alignProfiles(short, profile);
    expect(before!.meanByLayer).toHaveLength(profile.meanByLayer.length);
    expect(before!.energies[0]!.slice(3).every((e) => e === profile.energies[0]![2])).toBe(true);
    expect(after).toEqual(profile);
    await backend.dispose();
  });
});
