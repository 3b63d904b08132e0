// The implicit training step's gradient of the whole training loss, in every training parameter,
// against backpropagation through a long converged unrolling of the same anchored layer map and
// against central finite differences: the embedding included, which only the anchor lets reach the
// fixed point.
import { type Backend, type DeviceTensor, type Feeds, Graph, type HostTensor, ReferenceBackend, applyLayer, gradients, hostTensor, relativeError, runToHost } from "@unfold/core";
import { softmaxCrossEntropy, specLeaves, zeroMoments } from "@unfold/nn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedPointRunner, INPUT, TARGET, type TrainerModel, fixedPointLossProgram, inputShape, targetShape } from "../src/index.js";
import { FIXED_POINT_STATE } from "../src/fixed-point/programs.js";
import { firstBatch, tinyModel, tinyParams, tinyTask } from "./fixed-point-fixture.js";

const BATCH = 4;
const task = tinyTask(8, 4);
const OPTIMIZER = { weightDecay: 0 };

let backend: Backend;
beforeAll(() => {
  backend = new ReferenceBackend();
});
afterAll(async () => {
  await backend.dispose();
});

const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const flat = (grads: Record<string, HostTensor>, names: readonly string[]): number[] => names.flatMap((n) => Array.from(grads[n]!.data));
const angle = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const dot = Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
  return (Math.acos(Math.min(1, dot / (norm(a) * norm(b)))) * 180) / Math.PI;
};

/** The implicit step's gradient in every training parameter (learning rate 0: the update changes nothing that is read). */
async function implicitGrads(model: TrainerModel, params: Record<string, HostTensor>): Promise<{ grads: Record<string, HostTensor>; figures: unknown }> {
  const runner = await FixedPointRunner.compile(backend, model, task, { train: BATCH, eval: BATCH }, "float64", OPTIMIZER);
  const feeds = { ...params, ...zeroMoments(model.specs, "float64") } as Feeds;
  const { outputs, figures } = await runner.trainStep(feeds, firstBatch(task, BATCH), { learningRate: hostTensor([0], [], "float64"), step: hostTensor([1], [], "float64") });
  const grads: Record<string, HostTensor> = {};
  for (const name of Object.keys(model.specs)) grads[name] = await outputs[`grad.${name}`]!.read();
  for (const t of Object.values(outputs) as DeviceTensor[]) t.dispose();
  return { grads, figures };
}

/** The training loss and its gradient backpropagated through K layers of the anchored map from Y_0 = X. */
async function unrolledGrads(model: TrainerModel, params: Record<string, HostTensor>, layers: number): Promise<Record<string, HostTensor>> {
  const fixedPoint = model.fixedPoint!;
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, BATCH), "float64");
  const targets = graph.leaf("input", TARGET, targetShape(task, BATCH), "float64");
  const leaves = specLeaves(graph, model.specs, "float64");
  const theta = fixedPoint.mapParams(input, leaves);
  let state = theta[fixedPoint.start]!;
  const map = fixedPoint.map(BATCH);
  for (let k = 0; k < layers; k++) state = applyLayer(map, state, theta);
  const loss = softmaxCrossEntropy(fixedPoint.head(state, leaves), targets, { ignoreIndex: -1 });
  const names = Object.keys(leaves);
  const list = gradients(loss, names.map((n) => leaves[n]!));
  const program = graph.toProgram(Object.fromEntries(names.map((n, i) => [n, list[i]!])));
  const batch = firstBatch(task, BATCH);
  return runToHost(await backend.compile(program), { ...params, [INPUT]: batch.inputs, [TARGET]: batch.targets });
}

/** The training loss at the fixed point for `params`, solved to 1e-13. */
async function lossAt(model: TrainerModel, runner: FixedPointRunner, params: Record<string, HostTensor>): Promise<number> {
  const batch = firstBatch(task, BATCH);
  const { result } = await runner.solve(params as Feeds, batch.inputs, BATCH);
  const program = await backend.compile(fixedPointLossProgram(model.fixedPoint!, model.specs, task, BATCH, "float64"));
  const feeds = Object.fromEntries(program.program.feeds.map((f) => [f.name, ({ ...params, [FIXED_POINT_STATE]: result.state, [TARGET]: batch.targets } as Feeds)[f.name]!]));
  return (await runToHost(program, feeds))["loss"]!.data[0]!;
}

describe("the implicit training step of a fixed-point Yang model", () => {
  const model = tinyModel(task);
  const params = tinyParams(model);
  const names = Object.keys(model.specs);

  it("gives the gradient of the training loss in every parameter that backpropagation through K = 500 converged layers gives (1e-6 relative)", async () => {
    const { grads, figures } = await implicitGrads(model, params);
    const unrolled = await unrolledGrads(model, params, 500);
    for (const name of names) {
      const error = relativeError(grads[name]!.data, unrolled[name]!.data);
      console.log(`fixed-point Yang, '${name}': implicit vs K = 500 unrolled, relative error ${error.toExponential(2)}`);
      expect(error, name).toBeLessThan(1e-6);
    }
    console.log(`fixed-point Yang step figures: ${JSON.stringify(figures)}`);
    // The anchor is what gives the embedding a gradient: it is a large share of the whole.
    const embed = flat(grads, ["embed.W", "embed.b", "embed.position"]);
    expect(norm(embed)).toBeGreaterThan(1e-2 * norm(flat(grads, names)));
    expect(figures).toMatchObject({ converged: true, backwardConverged: true });
  }, 120_000);

  it("agrees with central finite differences of the loss at the fixed point", async () => {
    const { grads } = await implicitGrads(model, params);
    const runner = await FixedPointRunner.compile(backend, model, task, { train: BATCH, eval: BATCH }, "float64", OPTIMIZER);
    const h = 1e-5;
    for (const [name, index] of [["embed.W", 1], ["embed.position", 2], ["shared.M", 5], ["shared.Wa", 0], ["shared.b", 1], ["head.W", 3]] as const) {
      const shifted = (delta: number): Record<string, HostTensor> => {
        const data = Float64Array.from(params[name]!.data);
        data[index] = data[index]! + delta;
        return { ...params, [name]: hostTensor(data, params[name]!.shape, "float64") };
      };
      const fd = ((await lossAt(model, runner, shifted(h))) - (await lossAt(model, runner, shifted(-h)))) / (2 * h);
      const g = grads[name]!.data[index]!;
      console.log(`'${name}'[${index}]: implicit ${g.toExponential(6)}, central difference ${fd.toExponential(6)}`);
      expect(Math.abs(g - fd), `${name}[${index}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)) + 1e-8);
    }
  }, 120_000);

  it("reports JFB and phantom gradients by their angle to the implicit one", async () => {
    const exact = flat((await implicitGrads(model, params)).grads, names);
    for (const backward of ["jfb", "phantom"] as const) {
      const approximate = flat((await implicitGrads(tinyModel(task, { backward }), params)).grads, names);
      console.log(`fixed-point Yang: ${backward} gradient at ${angle(approximate, exact).toFixed(1)} deg to the implicit one`);
      expect(angle(approximate, exact)).toBeLessThan(90);
    }
  }, 120_000);
});
