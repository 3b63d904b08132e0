// model.fixedPoint.jacobianPenalty: the update's gradient is the implicit gradient plus weight
// times the gradient of the Hutchinson estimate of ||dT/dY||_F^2 at Y* through the map's
// parameters; the estimate with basis probes is the exact ||J||_F^2; the probes change with the
// step and repeat for the same step; and training with the penalty lowers ||J||_F^2 at the fixed point.
import {
  type Backend,
  type DeviceTensor,
  type Feeds,
  Graph,
  type HostTensor,
  ReferenceBackend,
  applyLayer,
  hostTensor,
  jacobian,
  jacobianPenaltyProgram,
  ops,
  optimize,
  relativeError,
  runToHost,
} from "@unfold/core";
import { zeroMoments } from "@unfold/nn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FIXED_POINT_STATE,
  FixedPointRunner,
  INPUT,
  JACOBIAN_PENALTY,
  TARGET,
  TrainConfig,
  type TrainerModel,
  TrainingSession,
  fixedPointUpdateProgram,
  jacobianProbeFeed,
  jacobianProbeSeed,
  jacobianProbes,
  mapGradFeed,
  mapParamsProgram,
} from "../src/index.js";
import { firstBatch, tinyModel, tinyParams, tinyTask } from "./fixed-point-fixture.js";

const BATCH = 2;
const task = tinyTask(32, 8);
const OPTIMIZER = { weightDecay: 0 };
const PENALTY = { weight: 0.5, probes: 2, seed: 7 };

let backend: Backend;
beforeAll(() => {
  backend = new ReferenceBackend();
});
afterAll(async () => {
  await backend.dispose();
});

const pick = (executable: { program: { feeds: readonly { name: string }[] } }, feeds: Feeds): Feeds => Object.fromEntries(executable.program.feeds.map((f) => [f.name, feeds[f.name]!]));

/** One training step at learning rate 0 on the first batch: the unclipped gradient in every parameter, the figures, and Y*. */
async function stepGrads(model: TrainerModel, params: Record<string, HostTensor>, step = 1) {
  const runner = await FixedPointRunner.compile(backend, model, task, { train: BATCH, eval: BATCH }, "float64", OPTIMIZER);
  const feeds = { ...params, ...zeroMoments(model.specs, "float64") } as Feeds;
  const batch = firstBatch(task, BATCH);
  const { outputs, figures } = await runner.trainStep(feeds, batch, { learningRate: hostTensor([0], [], "float64"), step: hostTensor([step], [], "float64") });
  const grads: Record<string, HostTensor> = {};
  for (const name of Object.keys(model.specs)) grads[name] = await outputs[`grad.${name}`]!.read();
  for (const t of Object.values(outputs) as DeviceTensor[]) t.dispose();
  const { result } = await runner.solve(params as Feeds, batch.inputs, BATCH);
  return { grads, figures, state: result.state };
}

/** The map's parameters theta = f(params, input) on the first batch. */
async function thetaAt(model: TrainerModel, params: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const exe = await backend.compile(mapParamsProgram(model.fixedPoint!, model.specs, task, BATCH, "float64"));
  return runToHost(exe, pick(exe, { ...params, [INPUT]: firstBatch(task, BATCH).inputs }));
}

/** ||J||_F^2 of the model's map at `state` with map parameters `theta`, from core's dense jacobian. */
async function exactFrobenius(model: TrainerModel, theta: Record<string, HostTensor>, state: HostTensor): Promise<number> {
  const fixedPoint = model.fixedPoint!;
  const graph = new Graph();
  const y = graph.leaf("input", "state", fixedPoint.stateShape(BATCH), "float64");
  const leaves = Object.fromEntries(Object.entries(theta).map(([name, t]) => [name, graph.leaf("input", name, t.shape, "float64")]));
  const dense = jacobian((x) => applyLayer(fixedPoint.map(BATCH), x, leaves))(y);
  const exe = await backend.compile(graph.toProgram({ frobenius: ops.sum(ops.mul(dense, dense)) }));
  return (await runToHost(exe, pick(exe, { ...theta, state })))["frobenius"]!.data[0]!;
}

describe("the Jacobian penalty in the fixed-point training step", () => {
  const plain = tinyModel(task);
  const penalised = tinyModel(task, { jacobianPenalty: PENALTY });
  const params = tinyParams(plain);

  it("adds weight times the estimate's gradient through the map's parameters to the implicit gradient", async () => {
    const without = await stepGrads(plain, params);
    const withPenalty = await stepGrads(penalised, params);
    expect(without.figures).not.toHaveProperty("jacobianPenalty");
    const estimate = withPenalty.figures.jacobianPenalty!;

    // The estimate, as core's jacobianPenaltyProgram with the step's seed, at Y* (held fixed) and theta(params).
    const shape = plain.fixedPoint!.stateShape(BATCH);
    const penaltyExe = await backend.compile(jacobianPenaltyProgram(plain.fixedPoint!.map(BATCH), shape, "float64", { probes: PENALTY.probes, seed: jacobianProbeSeed(PENALTY.seed, 1) }));
    const penaltyAt = async (p: Record<string, HostTensor>): Promise<number> =>
      (await runToHost(penaltyExe, pick(penaltyExe, { ...(await thetaAt(plain, p)), state: withPenalty.state })))["jacobianPenalty"]!.data[0]!;
    const reference = await penaltyAt(params);
    console.log(`Jacobian penalty at step 1 (2 probes): ${estimate.toExponential(6)}; jacobianPenaltyProgram with the same seed: ${reference.toExponential(6)}`);
    expect(Math.abs(estimate - reference)).toBeLessThan(1e-12 * reference);

    // Central differences of that estimate in a few training parameters, Y* and the probes held fixed.
    const h = 1e-5;
    for (const [name, index] of [["embed.W", 1], ["embed.position", 2], ["shared.b", 1], ["shared.M", 5], ["shared.M", 2], ["shared.Wa", 0], ["shared.Wa", 3]] as const) {
      const shifted = (delta: number): Record<string, HostTensor> => {
        const data = Float64Array.from(params[name]!.data);
        data[index] = data[index]! + delta;
        return { ...params, [name]: hostTensor(data, params[name]!.shape, "float64") };
      };
      const fd = ((await penaltyAt(shifted(h))) - (await penaltyAt(shifted(-h)))) / (2 * h);
      const added = withPenalty.grads[name]!.data[index]! - without.grads[name]!.data[index]!;
      console.log(`'${name}'[${index}]: update gradient - implicit gradient ${added.toExponential(6)}, weight * central difference ${(PENALTY.weight * fd).toExponential(6)}`);
      // X and b enter T only additively, so J (and the penalty) depends on W_a and W_f alone (away from ReLU kinks).
      if (name === "shared.M" || name === "shared.Wa") expect(Math.abs(fd), `${name}[${index}] has a penalty gradient`).toBeGreaterThan(1e-6);
      expect(Math.abs(added - PENALTY.weight * fd), `${name}[${index}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
    // The head does not enter T: its gradient is the implicit one alone.
    expect(relativeError(withPenalty.grads["head.W"]!.data, without.grads["head.W"]!.data)).toBeLessThan(1e-12);
  }, 120_000);

  it("draws new probes each step and the same probes for the same step", async () => {
    const shape = plain.fixedPoint!.stateShape(BATCH);
    const options = { probes: 2, seed: 7 };
    const first = jacobianProbes(shape, "float64", options, 1);
    expect(jacobianProbes(shape, "float64", options, 1).map((p) => Array.from(p.data))).toEqual(first.map((p) => Array.from(p.data)));
    expect(Array.from(jacobianProbes(shape, "float64", options, 2)[0]!.data)).not.toEqual(Array.from(first[0]!.data));
    expect(Array.from(jacobianProbes(shape, "float64", { ...options, seed: 8 }, 1)[0]!.data)).not.toEqual(Array.from(first[0]!.data));
    expect(Array.from(first[1]!.data)).not.toEqual(Array.from(first[0]!.data));
    const one = (await stepGrads(penalised, params, 1)).figures.jacobianPenalty!;
    const again = (await stepGrads(penalised, params, 1)).figures.jacobianPenalty!;
    const two = (await stepGrads(penalised, params, 2)).figures.jacobianPenalty!;
    console.log(`Jacobian penalty at the same parameters with step 1's probes ${one.toExponential(4)} (again ${again.toExponential(4)}), step 2's ${two.toExponential(4)}`);
    expect(again).toBe(one);
    expect(two).not.toBe(one);
    expect(() => jacobianProbeSeed(-1, 1)).toThrow("jacobianProbeSeed: seed must be a non-negative integer, got -1");
    expect(() => jacobianProbeSeed(0, 0)).toThrow("jacobianProbeSeed: step must be a positive integer, got 0");
  }, 120_000);

  it("with every basis vector as a probe, is ||J||_F^2 / size, J from core's jacobian", async () => {
    const { state } = await stepGrads(plain, params);
    const fixedPoint = plain.fixedPoint!;
    const shape = fixedPoint.stateShape(BATCH);
    const size = shape.reduce((a, b) => a * b, 1);
    // The update program itself, its probe feeds given the basis vectors.
    const basisModel = tinyModel(task, { jacobianPenalty: { weight: 1, probes: size } });
    const update = await backend.compile(optimize(fixedPointUpdateProgram(basisModel.fixedPoint!, basisModel.specs, task, BATCH, "float64", OPTIMIZER)));
    const batch = firstBatch(task, BATCH);
    const theta = await thetaAt(plain, params);
    const feeds: Record<string, Feeds[string]> = {
      ...params,
      ...zeroMoments(plain.specs, "float64"),
      [INPUT]: batch.inputs,
      [TARGET]: batch.targets,
      [FIXED_POINT_STATE]: state,
      learningRate: hostTensor([0], [], "float64"),
      step: hostTensor([1], [], "float64"),
    };
    for (const [name, value] of Object.entries(theta)) feeds[mapGradFeed(name)] = hostTensor(new Float64Array(value.data.length), value.shape, "float64");
    for (let i = 0; i < size; i++) {
      const basis = new Float64Array(size);
      basis[i] = 1;
      feeds[jacobianProbeFeed(i)] = hostTensor(basis, shape, "float64");
    }
    const estimate = (await runToHost(update, pick(update, feeds)))[JACOBIAN_PENALTY]!.data[0]!;

    const exact = await exactFrobenius(plain, theta, state);
    console.log(`||J||_F^2 at Y* (batch ${BATCH}, ${size} state entries): basis-probe penalty x ${size} = ${(estimate * size).toExponential(10)}, dense Jacobian ${exact.toExponential(10)}`);
    expect(exact).toBeGreaterThan(0);
    expect(Math.abs(estimate * size - exact)).toBeLessThan(1e-12 * exact);
  }, 120_000);

  it("lowers ||J||_F^2 at the fixed point over training, against the same run without it", async () => {
    /** The exact ||J||_F^2 at the first batch's fixed point for parameters `p`. */
    const exactAt = async (model: TrainerModel, p: Record<string, HostTensor>): Promise<number> => {
      const runner = await FixedPointRunner.compile(backend, model, task, { train: BATCH, eval: BATCH }, "float64", OPTIMIZER);
      const { mapParams, result } = await runner.solve(p as Feeds, firstBatch(task, BATCH).inputs, BATCH);
      return exactFrobenius(model, mapParams, result.state);
    };
    const train = TrainConfig.parse({ epochs: 2, batchSize: BATCH * 4, learningRate: 0.03, warmupSteps: 0, decay: "constant", seed: 2 });
    const figures: string[] = [];
    const results: Record<string, number> = {};
    for (const [label, model] of [["without", tinyModel(task, { tol: 1e-10, adjoint: { tol: 1e-10 } })], ["with", tinyModel(task, { tol: 1e-10, adjoint: { tol: 1e-10 }, jacobianPenalty: { weight: 1, probes: 1, seed: 3 } })]] as const) {
      const session = await TrainingSession.open(backend, { model, task, train, dtype: "float64" });
      try {
        const start = await exactAt(model, await session.params());
        const penalties: number[] = [];
        for await (const step of session.steps()) if (step.fixedPoint!.jacobianPenalty !== undefined) penalties.push(step.fixedPoint!.jacobianPenalty);
        const end = await exactAt(model, await session.params());
        results[label] = end;
        figures.push(`${label} penalty: ||J||_F^2 ${start.toFixed(4)} -> ${end.toFixed(4)} over ${session.step} steps${penalties.length ? ` (estimates ${penalties[0]!.toFixed(3)} -> ${penalties.at(-1)!.toFixed(3)})` : ""}`);
      } finally {
        session.dispose();
      }
    }
    console.log(figures.join("; "));
    expect(results["with"]!).toBeLessThan(results["without"]!);
  }, 120_000);
});
