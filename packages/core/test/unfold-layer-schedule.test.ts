// The run's schedule without a backend: layers in order with their parameter sets and scheduled
// step sizes, and the tolerance stop.
import { describe, expect, it } from "vitest";
import { defineUnfolding, gradientStep } from "../src/index.js";
import { layerSchedule, toleranceReached } from "../src/unfold/layer-schedule.js";
import { quadratic, gd } from "./unfold/fixtures.js";

describe("the layer schedule", () => {
  it("lists every layer 1-based with every step and its scheduled size, overrides included", () => {
    const steps = [gd(0.1), gradientStep(quadratic, { name: "lin", terms: ["linear"], stepSize: 0.3 })];
    const unfolding = defineUnfolding({ energy: quadratic, steps, layers: 3, stepSizes: { gd: [0.1, 0.2, 0.05] } });
    const layers = [...layerSchedule(unfolding)];
    expect(layers.map((l) => l.layer)).toEqual([1, 2, 3]);
    expect(layers.map((l) => l.steps.map((s) => [s.step.name, s.index, s.scheduled]))).toEqual([
      [["gd", 0, 0.1], ["lin", 1, 0.3]],
      [["gd", 0, 0.2], ["lin", 1, 0.3]],
      [["gd", 0, 0.05], ["lin", 1, 0.3]],
    ]);
  });

  it("tied weights use parameter set 0 throughout and never re-read the energy", () => {
    const layers = [...layerSchedule(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 3 }))];
    expect(layers.map((l) => [l.paramSet, l.newParams])).toEqual([[0, false], [0, false], [0, false]]);
  });

  it("untied weights use each layer's own set and re-read the energy from the second layer on", () => {
    const layers = [...layerSchedule(defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 3, tiedWeights: false }))];
    expect(layers.map((l) => [l.paramSet, l.newParams])).toEqual([[0, false], [1, true], [2, true]]);
  });
});

describe("the tolerance stop", () => {
  it("never fires without a tolerance", () => {
    expect(toleranceReached(undefined, 5, 5)).toBe(false);
  });

  it("fires when the layer changed the energy by at most the tolerance relative to its magnitude", () => {
    expect(toleranceReached(1e-3, 100, 100.09)).toBe(true);
    expect(toleranceReached(1e-3, 100, 99.91)).toBe(true);
    expect(toleranceReached(1e-3, 100, 100.2)).toBe(false);
    expect(toleranceReached(0, 100, 100)).toBe(true);
  });

  it("is absolute below magnitude 1", () => {
    expect(toleranceReached(1e-3, 0.01, 0.0109)).toBe(true);
    expect(toleranceReached(1e-3, 0.01, 0.0112)).toBe(false);
  });

  it("does not fire on a NaN energy", () => {
    expect(toleranceReached(1e-3, 1, NaN)).toBe(false);
  });
});
