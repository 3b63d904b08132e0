// Training sessions of the fixed-point CRATE and Energy Transformer models: implicit-gradient
// steps lower the training loss, every forward and adjoint solve converges, and the solver's iteration
// counts are reported at the start and the end of training.
import { type Backend, ReferenceBackend } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrainConfig, TrainingSession, type TrainingStep } from "../src/index.js";
import { tinyTask } from "./fixed-point-fixture.js";
import { type ZooKind, zooModel } from "./fixed-point-zoo-fixture.js";

const task = tinyTask(32, 16);

let backend: Backend;
beforeAll(() => {
  backend = new ReferenceBackend();
});
afterAll(async () => {
  await backend.dispose();
});

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe.each(["crate", "energy-transformer"] as const satisfies readonly ZooKind[])("TrainingSession with a fixed-point %s model", (kind) => {
  it("lowers the loss by implicit gradients, each solve converging", async () => {
    const model = zooModel(kind, task, { tol: 1e-10, adjoint: { tol: 1e-10 } });
    const train = TrainConfig.parse({ epochs: 8, batchSize: 8, learningRate: 0.03, warmupSteps: 0, decay: "constant", seed: 2 });
    const session = await TrainingSession.open(backend, { model, task, train, dtype: "float64" });
    try {
      const before = await session.evaluate();
      const steps: TrainingStep[] = [];
      for await (const step of session.steps()) steps.push(step);
      const after = await session.evaluate();
      expect(steps).toHaveLength(32);
      const first = mean(steps.slice(0, 4).map((s) => s.loss));
      const last = mean(steps.slice(-4).map((s) => s.loss));
      const iterations = steps.map((s) => `${s.fixedPoint!.forwardIterations}/${s.fixedPoint!.backwardIterations}`);
      console.log(`fixed-point ${kind}, 32 steps: loss ${first.toFixed(3)} (steps 1-4) -> ${last.toFixed(3)} (steps 29-32); test loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}, accuracy ${before.accuracy} -> ${after.accuracy}`);
      console.log(`fixed-point ${kind}, forward/adjoint iterations by step: ${iterations.join(" ")}`);
      expect(last).toBeLessThan(first - 0.1);
      // The test split (16 examples) is reported, not asserted: 32 steps of 8 fit the training batches.
      for (const step of steps) {
        expect(step.fixedPoint).toMatchObject({ converged: true, backwardConverged: true });
        expect(step.fixedPoint!.residual).toBeLessThanOrEqual(1e-10);
        expect(step.fixedPoint!.forwardIterations).toBeGreaterThan(1);
      }
    } finally {
      session.dispose();
    }
  }, 240_000);
});
