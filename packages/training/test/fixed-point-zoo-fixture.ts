// Tiny fixed-point CRATE and Energy Transformer models, and the gradients the zoo fixed-point
// tests compare: the implicit training step's and backpropagation's through K unrolled layers of
// the same anchored map (not a test file).
import { type Backend, type DeviceTensor, type Feeds, Graph, type HostTensor, applyLayer, gradients, hostTensor, runToHost } from "@unfold/core";
import { softmaxCrossEntropy, specLeaves, zeroMoments } from "@unfold/nn";
import { FixedPointRunner, INPUT, ModelConfig, TARGET, type TaskData, type TrainerModel, buildModel, inputShape, targetShape } from "../src/index.js";
import { firstBatch } from "./fixed-point-fixture.js";

/** The two zoo models' sections, tiny: CRATE (two subspaces of 2) and the Energy Transformer (one head, four memories), width 4. */
export const ZOO_MODELS = {
  crate: { kind: "crate", dim: 4, heads: 2, tied: true },
  "energy-transformer": { kind: "energy-transformer", dim: 4, heads: 1, headDim: 2, memories: 4 },
} as const;

export type ZooKind = keyof typeof ZOO_MODELS;

/** A fixed-point zoo model on `task`, with `fixedPoint` settings over tight defaults. */
export function zooModel(kind: ZooKind, task: TaskData, fixedPoint: Record<string, unknown> = {}, model: Record<string, unknown> = {}): TrainerModel {
  const implicit = (fixedPoint["backward"] ?? "implicit") === "implicit";
  const config = ModelConfig.parse({
    ...ZOO_MODELS[kind],
    ...model,
    fixedPoint: { tol: 1e-13, maxIterations: 5_000, ...(implicit ? { adjoint: { tol: 1e-13, maxIterations: 1_000 } } : {}), ...fixedPoint },
  });
  return buildModel(config, task);
}

/** The implicit step's gradient in every training parameter (learning rate 0: the update changes nothing that is read), and the step's figures. */
export async function implicitStepGrads(
  backend: Backend,
  model: TrainerModel,
  task: TaskData,
  params: Record<string, HostTensor>,
  batch: number,
): Promise<{ grads: Record<string, HostTensor>; figures: Record<string, unknown> }> {
  const runner = await FixedPointRunner.compile(backend, model, task, { train: batch, eval: batch }, "float64", { weightDecay: 0 });
  const feeds = { ...params, ...zeroMoments(model.specs, "float64") } as Feeds;
  const { outputs, figures } = await runner.trainStep(feeds, firstBatch(task, batch), { learningRate: hostTensor([0], [], "float64"), step: hostTensor([1], [], "float64") });
  const grads: Record<string, HostTensor> = {};
  for (const name of Object.keys(model.specs)) grads[name] = await outputs[`grad.${name}`]!.read();
  for (const t of Object.values(outputs) as DeviceTensor[]) t.dispose();
  return { grads, figures: { ...figures } };
}

/** The training loss's gradient backpropagated through `layers` applications of the anchored map from Y_0 = X. */
export async function unrolledGrads(backend: Backend, model: TrainerModel, task: TaskData, params: Record<string, HostTensor>, batch: number, layers: number): Promise<Record<string, HostTensor>> {
  const fixedPoint = model.fixedPoint!;
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, batch), "float64");
  const targets = graph.leaf("input", TARGET, targetShape(task, batch), "float64");
  const leaves = specLeaves(graph, model.specs, "float64");
  const theta = fixedPoint.mapParams(input, leaves);
  let state = theta[fixedPoint.start]!;
  const map = fixedPoint.map(batch);
  for (let k = 0; k < layers; k++) state = applyLayer(map, state, theta);
  const loss = softmaxCrossEntropy(fixedPoint.head(state, leaves), targets, { ignoreIndex: -1 });
  const names = Object.keys(leaves);
  const list = gradients(loss, names.map((n) => leaves[n]!));
  const program = graph.toProgram(Object.fromEntries(names.map((n, i) => [n, list[i]!])));
  const data = firstBatch(task, batch);
  return runToHost(await backend.compile(program), { ...params, [INPUT]: data.inputs, [TARGET]: data.targets });
}

export const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
export const flat = (grads: Record<string, HostTensor>, names: readonly string[]): number[] => names.flatMap((n) => Array.from(grads[n]!.data));
/** The angle between two vectors, in degrees. */
export const angle = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const dot = Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
  return (Math.acos(Math.max(-1, Math.min(1, dot / (norm(a) * norm(b))))) * 180) / Math.PI;
};
