// A fixed-point training step keeps its tensors on the backend between its programs: the map's
// parameters, Y*, dL/dY* and the implicit gradients are never read back or uploaded again. The
// step gives exactly the numbers of the host path (every tensor read back and uploaded again
// between programs), and a counting backend shows what crosses per step.
import {
  type Backend,
  type DeviceTensor,
  type Feeds,
  type HostTensor,
  ReferenceBackend,
  hostTensor,
  implicitGradient,
  isDeviceTensor,
  optimize,
  toFloat64,
} from "@unfold/core";
import { zeroMoments } from "@unfold/nn";
import { describe, expect, it } from "vitest";
import {
  FIXED_POINT_STATE,
  FixedPointRunner,
  INPUT,
  STATE_COTANGENT,
  TARGET,
  TrainConfig,
  TrainingSession,
  fixedPointLossProgram,
  fixedPointUpdateProgram,
  mapGradFeed,
} from "../src/index.js";
import { firstBatch, tinyModel, tinyParams, tinyTask } from "./fixed-point-fixture.js";

const BATCH = 4;
const task = tinyTask(32, 8);
const OPTIMIZER = { weightDecay: 0 };

const pick = (executable: { program: { feeds: readonly { name: string }[] } }, feeds: Feeds): Feeds => Object.fromEntries(executable.program.feeds.map((f) => [f.name, feeds[f.name]!]));

/** What crossed between host and backend: uploads, compile calls, the size of every tensor read, and the non-scalar host feeds of every run by name. */
interface Traffic {
  uploads: number;
  compiles: number;
  readSizes: number[];
  hostFeeds: string[];
}

function countingBackend(inner: Backend): Backend & { traffic: Traffic } {
  const traffic: Traffic = { uploads: 0, compiles: 0, readSizes: [], hostFeeds: [] };
  const wrap = (t: DeviceTensor): DeviceTensor =>
    Object.assign(Object.create(t) as DeviceTensor, {
      read: () => {
        traffic.readSizes.push(t.shape.reduce((a, b) => a * b, 1));
        return t.read();
      },
    });
  return {
    traffic,
    name: inner.name,
    dtypes: inner.dtypes,
    compile: async (program, options) => {
      traffic.compiles++;
      const exe = await inner.compile(program, options);
      return {
        program: exe.program,
        run: async (feeds) => {
          for (const [name, feed] of Object.entries(feeds)) if (!isDeviceTensor(feed) && feed.data.length > 1) traffic.hostFeeds.push(name);
          return Object.fromEntries(Object.entries(await exe.run(feeds)).map(([k, t]) => [k, wrap(t)]));
        },
      };
    },
    upload: (t: HostTensor) => {
      traffic.uploads++;
      return inner.upload(t);
    },
    dispose: () => inner.dispose(),
  };
}

describe("a fixed-point training step's resident path", () => {
  it("gives the host path's gradients exactly (float64, reference)", async () => {
    const backend = new ReferenceBackend();
    const model = tinyModel(task, { tol: 1e-12, adjoint: { tol: 1e-12 } });
    const runner = await FixedPointRunner.compile(backend, model, task, { train: BATCH, eval: BATCH }, "float64", OPTIMIZER);
    const feeds = { ...tinyParams(model), ...zeroMoments(model.specs, "float64") } as Feeds;
    const batch = firstBatch(task, BATCH);
    const schedule = { learningRate: hostTensor([0.01], [], "float64"), step: hostTensor([1], [], "float64") };
    const { outputs } = await runner.trainStep(feeds, batch, schedule);

    // The host path: every tensor between the programs read back and fed as host data.
    const { mapParams, result } = await runner.solve(feeds, batch.inputs, BATCH);
    const loss = await backend.compile(optimize(fixedPointLossProgram(model.fixedPoint!, model.specs, task, BATCH, "float64")));
    const stateFeeds = { ...feeds, [FIXED_POINT_STATE]: result.state, [TARGET]: batch.targets };
    const cotangent = await (await loss.run(pick(loss, stateFeeds)))[STATE_COTANGENT]!.read();
    const implicit = await implicitGradient(model.fixedPoint!.map(BATCH), backend, { state: result.state, params: mapParams, cotangent, adjoint: { solver: "gmres", tol: 1e-12, maxIterations: 100 } });
    const update = await backend.compile(optimize(fixedPointUpdateProgram(model.fixedPoint!, model.specs, task, BATCH, "float64", OPTIMIZER)));
    const mapGrads = Object.fromEntries(Object.entries(implicit.grads).map(([name, g]) => [mapGradFeed(name), g]));
    const host = await update.run(pick(update, { ...stateFeeds, ...mapGrads, [INPUT]: batch.inputs, ...schedule }));
    for (const name of Object.keys(model.specs)) {
      for (const output of [`grad.${name}`, `next.${name}`]) {
        expect(Array.from(toFloat64(await outputs[output]!.read())), output).toEqual(Array.from(toFloat64(await host[output]!.read())));
      }
    }
    await backend.dispose();
  });

  it("uploads nothing, compiles nothing and reads back only scalars per step once the first step has compiled", async () => {
    const backend = countingBackend(new ReferenceBackend());
    const model = tinyModel(task, { tol: 1e-10, adjoint: { tol: 1e-10 } });
    const train = TrainConfig.parse({ epochs: 1, batchSize: BATCH, learningRate: 0.01, warmupSteps: 0, decay: "constant", seed: 2 });
    const session = await TrainingSession.open(backend, { model, task, train, dtype: "float64" });
    try {
      await session.next();
      const { traffic } = backend;
      Object.assign(traffic, { uploads: 0, compiles: 0, readSizes: [], hostFeeds: [] });
      const steps = 3;
      let iterations = 0;
      for (let i = 0; i < steps; i++) {
        const step = await session.next();
        iterations += step.fixedPoint!.forwardIterations + step.fixedPoint!.backwardIterations;
      }
      console.log(`fixed-point step, resident: per step ${traffic.uploads / steps} uploads, ${traffic.compiles / steps} compiles, ${traffic.readSizes.length / steps} scalar reads (${iterations / steps} forward + adjoint iterations)`);
      expect(traffic.uploads).toBe(0);
      expect(traffic.compiles).toBe(0);
      expect(traffic.readSizes.length).toBeGreaterThan(steps * 3);
      expect(traffic.readSizes.filter((size) => size > 1)).toEqual([]);
      // Only the batch itself goes up, as host feeds of the programs that take it.
      expect(new Set(traffic.hostFeeds)).toEqual(new Set([INPUT, TARGET]));
    } finally {
      session.dispose();
      await backend.dispose();
    }
  });
});
