import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Backend, type HostTensor, ReferenceBackend, hostTensor } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelConfig, TrainConfig, type TrainingSetup, TrainingSession, buildModel, decodeSafetensors, encodeSafetensors } from "../src/index.js";
import { mnistArrays } from "./mnist-task.js";

// Training through the package alone: the trainer's quick config (its model and optimization
// sections, read as data) on MNIST arrays, on the reference backend (a library package tests on core alone, never on a backend package), with no
// trainer code involved.

const here = dirname(fileURLToPath(import.meta.url));
const quick = JSON.parse(readFileSync(join(here, "..", "..", "..", "apps", "trainer", "configs", "quick.json"), "utf8")) as { model: unknown; train: Record<string, unknown> };

const task = mnistArrays(640, 100);
/** The quick config's model and optimizer, over a run short enough for a test: 10 steps an epoch, warm-up 5. */
function setup(epochs: number): TrainingSetup {
  const model = buildModel(ModelConfig.parse(quick.model), task);
  const train = TrainConfig.parse({ ...quick.train, epochs, warmupSteps: 5 });
  return { model, task, train, dtype: "float32", energyInputs: 8 };
}

let backend: Backend;
beforeAll(() => {
  backend = new ReferenceBackend();
});
afterAll(async () => {
  await backend.dispose();
});

let straight: Promise<number[]> | undefined;
/** The losses of a one-epoch run with no stop, computed once for the tests that compare against it. */
function uninterrupted(): Promise<number[]> {
  straight ??= (async () => {
    const session = await TrainingSession.open(backend, setup(1));
    const losses: number[] = [];
    for await (const step of session.steps()) losses.push(step.loss);
    session.dispose();
    return losses;
  })();
  return straight;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe("TrainingSession", () => {
  it("trains the quick config's model on MNIST arrays: the loss falls, accuracy rises above chance, descent holds by layer", async () => {
    const session = await TrainingSession.open(backend, setup(4));
    try {
      expect(session.plan).toEqual({ perEpoch: 10, totalSteps: 40, evalEvery: 10, checkpointEvery: 10 });
      const before = await session.evaluate();
      const profileBefore = await session.energyProfile();
      const losses: number[] = [];
      for await (const step of session.steps()) losses.push(step.loss);
      expect(losses).toHaveLength(40);
      expect(session.finished).toBe(true);
      const first = mean(losses.slice(0, 5));
      const last = mean(losses.slice(-5));
      console.log(`quick model, reference backend: loss ${first.toFixed(3)} (steps 1-5) -> ${last.toFixed(3)} (steps 36-40)`);
      expect(last).toBeLessThan(first * 0.8);
      const after = await session.evaluate();
      console.log(`test accuracy ${(100 * before.accuracy).toFixed(1)}% -> ${(100 * after.accuracy).toFixed(1)}%`);
      expect(after.loss).toBeLessThan(before.loss);
      expect(after.accuracy).toBeGreaterThan(0.3);
      // The paper's energy figure: 8 inputs by K + 1 = 5 layer boundaries, before and after training.
      const profileAfter = (await session.energyProfile())!;
      expect(profileBefore!.energies).toHaveLength(8);
      expect(profileAfter.energies.every((row) => row.length === 5)).toBe(true);
      expect(profileAfter.meanByLayer).toHaveLength(5);
      // Each layer is a descent step on its own energy: no input's energy rose at any layer.
      expect(profileBefore!.increases).toBe(0);
      expect(profileAfter.increases).toBe(0);
    } finally {
      session.dispose();
    }
  });

  it("pauses when its signal is aborted and resumes where it stopped, repeating an uninterrupted run", async () => {
    const expected = await uninterrupted();

    const session = await TrainingSession.open(backend, setup(1));
    const losses: number[] = [];
    const pause = new AbortController();
    for await (const step of session.steps(pause.signal)) {
      losses.push(step.loss);
      if (step.step === 3) pause.abort("pause");
    }
    expect(session.step).toBe(3);
    expect(session.finished).toBe(false);
    for await (const step of session.steps()) losses.push(step.loss);
    session.dispose();
    expect(losses).toEqual(expected);
  });

  it("resumes from a checkpoint's bytes: parameters and moments through safetensors, then the same steps as without the stop", async () => {
    const expected = await uninterrupted();

    const first = await TrainingSession.open(backend, setup(1));
    for (let i = 0; i < 4; i++) await first.next();
    const host = await first.read([...first.paramNames, ...first.momentNames]);
    first.dispose();
    const bytes = encodeSafetensors(Object.fromEntries(Object.entries(host).map(([name, t]) => [name, { shape: t.shape, data: t.data }])));
    const back = decodeSafetensors(bytes).tensors;
    const asHost = (names: readonly string[]): Record<string, HostTensor> =>
      Object.fromEntries(names.map((n) => [n, hostTensor(back[n]!.data, back[n]!.shape, "float32")]));
    const resumed = await TrainingSession.open(backend, setup(1), { params: asHost(first.paramNames), moments: asHost(first.momentNames), step: 4 });
    const rest: number[] = [];
    for await (const step of resumed.steps()) rest.push(step.loss);
    resumed.dispose();
    expect(rest).toEqual(expected.slice(4));
  });

  it("stops compiling when its signal is aborted before open", async () => {
    const stop = new AbortController();
    stop.abort("stop");
    await expect(TrainingSession.open(backend, setup(1), { signal: stop.signal })).rejects.toMatchObject({ name: "StopRequested" });
  });
});

describe("TrainingSession errors", () => {
  it("refuses a batch larger than the training split, naming the field", async () => {
    const s = setup(1);
    await expect(TrainingSession.open(backend, { ...s, train: { ...s.train, batchSize: 641 } })).rejects.toThrow(
      "train.batchSize (641) is larger than the training split (640 examples)",
    );
  });

  it("refuses more warm-up steps than the run has", async () => {
    const s = setup(1);
    await expect(TrainingSession.open(backend, { ...s, train: { ...s.train, warmupSteps: 11 } })).rejects.toThrow(
      "train.warmupSteps (11) exceeds the run's 10 steps (1 epochs of 10); lower it or train longer",
    );
  });

  it("refuses a start step outside the run and an energy-input count the test split cannot fill", async () => {
    await expect(TrainingSession.open(backend, setup(1), { step: 11 })).rejects.toThrow("start.step must be an integer in [0, 10] (the run's steps), got 11");
    await expect(TrainingSession.open(backend, setup(1), { step: 1.5 })).rejects.toThrow("got 1.5");
    await expect(TrainingSession.open(backend, { ...setup(1), energyInputs: 101 })).rejects.toThrow("energyInputs must be an integer in [1, 100] (the test split's size), got 101");
  });

  it("refuses a step past the end and any use after dispose", async () => {
    const session = await TrainingSession.open(backend, setup(1), { step: 10 });
    expect(session.finished).toBe(true);
    await expect(session.next()).rejects.toThrow("TrainingSession.next: all 10 steps are done");
    session.dispose();
    await expect(session.next()).rejects.toThrow("TrainingSession.next: the session is disposed");
    expect(() => session.evaluate()).toThrow("TrainingSession.evaluate: the session is disposed");
  });
});
