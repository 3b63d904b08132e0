// On the CPU backend in float32, a fixed-point training step's resident path (every tensor kept on
// the backend between its programs) agrees with the host path (each read back and fed again).
import { CpuBackend } from "@unfold/backend-cpu";
import { type Feeds, hostTensor, implicitGradient, optimize, relativeError, toFloat64 } from "@unfold/core";
import { initParams, zeroMoments } from "@unfold/nn";
import {
  FIXED_POINT_STATE,
  FixedPointRunner,
  INPUT,
  STATE_COTANGENT,
  TARGET,
  buildModel,
  fixedPointLossProgram,
  fixedPointUpdateProgram,
  inputShape,
  mapGradFeed,
  targetShape,
} from "@unfold/training";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/index.js";
import { buildTask } from "../src/train/task.js";
import { tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

const BATCH = 8;
const pick = (executable: { program: { feeds: readonly { name: string }[] } }, feeds: Feeds): Feeds => Object.fromEntries(executable.program.feeds.map((f) => [f.name, feeds[f.name]!]));

describe("the resident fixed-point step on the CPU backend (float32)", () => {
  it("agrees with the host path to float32 rounding", async () => {
    const base = tinyConfigJson();
    const { layers: _layers, ...model } = base["model"] as Record<string, unknown>;
    const config = loadConfig({ config: writeConfigFile(tempDir(), { ...base, model: { ...model, tied: true } }), depth: "implicit" });
    const task = buildTask(config.task);
    const trainer = buildModel(config.model, task);
    const fixedPoint = trainer.fixedPoint!;
    const backend = new CpuBackend();
    try {
      const runner = await FixedPointRunner.compile(backend, trainer, task, { train: BATCH, eval: BATCH }, "float32", {});
      const feeds = { ...initParams(trainer.specs, { seed: 4, dtype: "float32" }), ...zeroMoments(trainer.specs, "float32") } as Feeds;
      const data = task.batch("train", Int32Array.from({ length: BATCH }, (_, i) => i));
      const batch = { inputs: hostTensor(data.inputs, inputShape(task, BATCH), "float32"), targets: hostTensor(data.targets, targetShape(task, BATCH), "float32") };
      const schedule = { learningRate: hostTensor([0.001], [], "float32"), step: hostTensor([1], [], "float32") };
      const { outputs, figures } = await runner.trainStep(feeds, batch, schedule);

      const { mapParams, result } = await runner.solve(feeds, batch.inputs, BATCH);
      const loss = await backend.compile(optimize(fixedPointLossProgram(fixedPoint, trainer.specs, task, BATCH, "float32")));
      const stateFeeds = { ...feeds, [FIXED_POINT_STATE]: result.state, [TARGET]: batch.targets };
      const cotangent = await (await loss.run(pick(loss, stateFeeds)))[STATE_COTANGENT]!.read();
      const implicit = await implicitGradient(fixedPoint.map(BATCH), backend, { state: result.state, params: mapParams, cotangent, adjoint: { solver: "gmres", tol: 1e-4, maxIterations: 100 } });
      const update = await backend.compile(optimize(fixedPointUpdateProgram(fixedPoint, trainer.specs, task, BATCH, "float32", {})));
      const mapGrads = Object.fromEntries(Object.entries(implicit.grads).map(([name, g]) => [mapGradFeed(name), g]));
      const host = await update.run(pick(update, { ...stateFeeds, ...mapGrads, [INPUT]: batch.inputs, ...schedule }));
      let worst = 0;
      for (const name of Object.keys(trainer.specs)) {
        const error = relativeError(toFloat64(await outputs[`grad.${name}`]!.read()), toFloat64(await host[`grad.${name}`]!.read()));
        expect(error, name).toBeLessThan(1e-5);
        worst = Math.max(worst, error);
      }
      expect(implicit.adjoint!.iterations).toBe(figures.backwardIterations);
      console.log(`cpu float32: resident vs host step gradients, largest relative error ${worst.toExponential(2)} (${figures.forwardIterations} forward, ${figures.backwardIterations} adjoint iterations)`);
    } finally {
      await backend.dispose();
    }
  }, 120_000);
});
