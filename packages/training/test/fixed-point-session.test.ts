// A training session of a fixed-point Yang model: its steps lower the loss, each step reports the
// forward and adjoint iterations and the residual, and evaluation runs the solver.
import { type Backend, ReferenceBackend } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrainConfig, TrainingSession, type TrainingStep, isFixedPointProfile } from "../src/index.js";
import { tinyModel, tinyTask } from "./fixed-point-fixture.js";

const task = tinyTask(32, 16);

let backend: Backend;
beforeAll(() => {
  backend = new ReferenceBackend();
});
afterAll(async () => {
  await backend.dispose();
});

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe("TrainingSession with a fixed-point model", () => {
  it("lowers the loss by implicit gradients and reports each step's solver figures", async () => {
    const model = tinyModel(task, { tol: 1e-10, adjoint: { tol: 1e-10 } });
    const train = TrainConfig.parse({ epochs: 8, batchSize: 8, learningRate: 0.03, warmupSteps: 0, decay: "constant", seed: 2 });
    const session = await TrainingSession.open(backend, { model, task, train, dtype: "float64" });
    try {
      const before = await session.evaluate();
      const steps: TrainingStep[] = [];
      for await (const step of session.steps()) steps.push(step);
      const after = await session.evaluate();
      expect(steps).toHaveLength(32);
      const losses = steps.map((s) => s.loss);
      const first = mean(losses.slice(0, 4));
      const last = mean(losses.slice(-4));
      const iterations = steps.map((s) => `${s.fixedPoint!.forwardIterations}/${s.fixedPoint!.backwardIterations}`);
      console.log(`fixed-point Yang, 32 steps: loss ${first.toFixed(3)} (steps 1-4) -> ${last.toFixed(3)} (steps 29-32); test loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}, accuracy ${before.accuracy} -> ${after.accuracy}`);
      console.log(`forward/adjoint iterations by step: ${iterations.join(" ")}`);
      expect(last).toBeLessThan(first - 0.1);
      expect(after.loss).toBeLessThan(before.loss);
      for (const step of steps) {
        const figures = step.fixedPoint!;
        expect(figures.converged).toBe(true);
        expect(figures.residual).toBeLessThanOrEqual(1e-10);
        expect(figures.forwardIterations).toBeGreaterThan(1);
        expect(figures.backwardIterations).toBeGreaterThan(1);
        expect(figures.backwardConverged).toBe(true);
        expect(figures.backwardResidual).toBeLessThanOrEqual(1e-10);
      }
      // The energy figure is by solver iteration (test/fixed-point-energy-profile checks its data).
      const profile = await session.energyProfile();
      expect(profile && isFixedPointProfile(profile) && profile.iterations.length).toBe(16);
    } finally {
      session.dispose();
    }
  }, 120_000);

  it("reports an unconverged forward solve instead of hiding it", async () => {
    const model = tinyModel(task, { tol: 1e-12, maxIterations: 2, solver: "iteration", backward: "jfb" });
    const train = TrainConfig.parse({ epochs: 1, batchSize: 8, warmupSteps: 0 });
    const session = await TrainingSession.open(backend, { model, task, train, dtype: "float64" });
    try {
      const step = await session.next();
      expect(step.fixedPoint).toMatchObject({ forwardIterations: 2, converged: false, backwardIterations: 0, backwardResidual: null });
      expect(step.fixedPoint!.residual).toBeGreaterThan(1e-12);
    } finally {
      session.dispose();
    }
  }, 60_000);
});
