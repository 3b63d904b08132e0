// The descent the page runs, in Node: with the tokens after every layer it gives exactly what
// core's runUnfolding gives for the whole unfolding, and the step-size setting past the
// curvature bound makes the guard fire. (The browser test checks the page against the same
// reference.)
import { type Backend, type Executable, ReferenceBackend, runUnfolding, toFloat64 } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { stepBound } from "../src/curvature.js";
import { runDescent, unfoldingFor } from "../src/descent.js";
import { SCENES, sceneNamed, tunableStep } from "../src/scenes.js";

describe("runDescent", () => {
  it.each(SCENES.map((s) => s.name))("equals runUnfolding of the whole unfolding for '%s', energies, terms and final tokens", async (name) => {
    const instance = sceneNamed(name).build("float64");
    const settings = { layers: instance.unfolding.layers + 1 };
    const result = await runDescent(instance, new ReferenceBackend(), settings);
    const { unfolding, params } = unfoldingFor(instance, settings);
    const whole = await runUnfolding(unfolding, new ReferenceBackend(), { state: instance.state, params });
    expect(result.layers).toEqual(whole.trace.layers.map((l) => ({ layer: l.layer, energy: l.energy, terms: l.terms })));
    expect(result.states.length).toBe(settings.layers + 1);
    expect(result.states[0]).toEqual(toFloat64(instance.state));
    expect(result.states[settings.layers]).toEqual(toFloat64(whole.state));
    expect(result.guardEvents).toEqual(whole.trace.steps.filter((s) => s.increased).map((s) => ({ layer: s.layer, step: s.step, energy: s.energy })));
  });

  it("records guard events and a rising energy once the step size is past the curvature bound, and none at the scene's own", async () => {
    const instance = sceneNamed("lagrangian").build("float64");
    const bound = await stepBound(instance);
    expect(bound!.step).toBe(tunableStep(instance.unfolding)!.step.name);
    expect(instance.unfolding.steps[0]!.stepSize).toBeLessThan(bound!.bound);
    const own = await runDescent(instance, new ReferenceBackend(), { layers: 12 });
    expect(own.guardEvents).toEqual([]);
    const past = await runDescent(instance, new ReferenceBackend(), { layers: 12, stepSize: 2 * bound!.bound });
    expect(past.guardEvents.length).toBeGreaterThan(0);
    expect(past.layers.some((l, i) => i > 0 && l.energy > past.layers[i - 1]!.energy)).toBe(true);
  });

  it("compiles each program once per run and uploads each parameter once: every later run (other step size, more layers) gets the same executables", async () => {
    const inner = new ReferenceBackend();
    const executables = new Set<Executable>();
    let compiles = 0;
    let uploads = 0;
    // Counts what the backend hands out: a program rebuilt differently per layer or per run would
    // miss the compile cache and add an executable.
    const counting: Backend = {
      name: inner.name,
      dtypes: inner.dtypes,
      compile: async (program, options) => {
        compiles++;
        const exe = await inner.compile(program, options);
        executables.add(exe);
        return exe;
      },
      upload: (t) => {
        uploads++;
        return inner.upload(t);
      },
      dispose: () => inner.dispose(),
    };
    const instance = sceneNamed("points-2d").build("float64");
    const steps = instance.unfolding.steps.length;
    await runDescent(instance, counting, { layers: 5 });
    expect(executables.size).toBe(1 + steps);
    expect(compiles).toBe(1 + steps);
    // The state, then each parameter tensor once: the layers of a tied scene share one set.
    expect(instance.unfolding.tiedWeights).toBe(true);
    expect(uploads).toBe(1 + Object.keys(instance.params[0]!).length);
    await runDescent(instance, counting, { layers: 9, stepSize: 0.01 });
    expect(compiles).toBe(2 * (1 + steps));
    expect(executables.size).toBe(1 + steps);
  });

  it("hands onLayer the run so far after every layer (what the live view draws each frame), ending in the returned run", async () => {
    const instance = sceneNamed("lagrangian").build("float64");
    const bound = await stepBound(instance);
    const seen: { layer: number; layers: number; states: number; events: number; state: Float64Array }[] = [];
    const result = await runDescent(instance, new ReferenceBackend(), { layers: 6, stepSize: 2 * bound!.bound }, (layer, state, sofar) => {
      seen.push({ layer: layer.layer, layers: sofar.layers.length, states: sofar.states.length, events: sofar.guardEvents.length, state });
    });
    expect(seen.map((s) => s.layer)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.map((s) => s.layers)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(seen.map((s) => s.states)).toEqual([2, 3, 4, 5, 6, 7]);
    seen.forEach((s, i) => expect(s.state).toEqual(result.states[i + 1]));
    // The guard's events so far grow to the run's own.
    expect(seen[5]!.events).toBe(result.guardEvents.length);
    expect(result.guardEvents.length).toBeGreaterThan(0);
  });

  it("rejects settings it cannot run, naming them", () => {
    const instance = sceneNamed("hopfield").build("float64");
    expect(() => unfoldingFor(instance, { layers: 0 })).toThrow("layers must be a positive integer, got 0");
    expect(() => unfoldingFor(instance, { layers: 2.5 })).toThrow("layers must be a positive integer, got 2.5");
    expect(() => unfoldingFor(instance, { layers: 2, stepSize: -1 })).toThrow("step size must be a positive number, got -1");
    expect(() => unfoldingFor(instance, { layers: 2, stepSize: Number.NaN })).toThrow("step size must be a positive number, got NaN");
    expect(() => sceneNamed("hopfeld")).toThrow(/energy 'hopfeld' is not in the zoo \(known: yang, .*hopfield/);
  });
});
