import { type DeviceTensor, type Feeds, Graph, type HostTensor, Random, ReferenceBackend, differentiate, hostTensor, ops } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  type TrainStepSpec,
  correctPredictions,
  embedTokens,
  initParams,
  linear,
  linearSpecs,
  lossProgram,
  meanPool,
  mergeSpecs,
  prefixSpecs,
  softmaxCrossEntropy,
  stepFeeds,
  trainStepCarry,
  trainStepProgram,
  transformerEncoder,
  transformerSpecs,
  unprefix,
  zeroMoments,
} from "../src/index.js";
import { norm, relErr, run } from "./helpers.js";

const BATCH = 24;

/** Three Gaussian blobs in the plane, labelled by blob. */
function blobs(seed: number): { x: Float64Array; labels: Float64Array } {
  const rng = new Random(seed);
  const centres = [[2, 0], [-1, 1.7], [-1, -1.7]];
  const x = new Float64Array(BATCH * 2);
  const labels = new Float64Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    labels[i] = i % 3;
    x[2 * i] = centres[i % 3]![0]! + 0.6 * rng.normal();
    x[2 * i + 1] = centres[i % 3]![1]! + 0.6 * rng.normal();
  }
  return { x, labels };
}

const mlpSpec: TrainStepSpec = {
  specs: mergeSpecs(prefixSpecs("hidden", linearSpecs(2, 8)), prefixSpecs("head", linearSpecs(8, 3))),
  inputs: { x: [BATCH, 2], labels: [BATCH] },
  dtype: "float64",
  loss: (inputs, params) => {
    const hidden = unprefix("hidden", params);
    const head = unprefix("head", params);
    const logits = linear(ops.relu(linear(inputs["x"]!, hidden["W"]!, hidden["b"]!)), head["W"]!, head["b"]!);
    return { loss: softmaxCrossEntropy(logits, inputs["labels"]!), outputs: { correct: ops.sum(correctPredictions(logits, inputs["labels"]!)) } };
  },
  optimizer: { clipNorm: 5, weightDecay: 0.01 },
};

const hostOf = (data: ArrayLike<number>, shape: readonly number[]): HostTensor => hostTensor(data, shape, "float64");

/** Runs `steps` training steps on the reference backend with parameters and moments kept resident. */
async function train(spec: TrainStepSpec, data: Record<string, HostTensor>, steps: number, peak: number): Promise<{ losses: number[]; last: Record<string, number> }> {
  const backend = new ReferenceBackend();
  const exe = await backend.compile(trainStepProgram(spec));
  const carry = trainStepCarry(spec.specs);
  let feeds: Feeds = { ...data, ...initParams(spec.specs, { seed: 1 }), ...zeroMoments(spec.specs, spec.dtype) };
  const losses: number[] = [];
  let last: Record<string, number> = {};
  for (let step = 1; step <= steps; step++) {
    const schedule = { peak, warmupSteps: 3, totalSteps: steps, decay: "cosine" as const, floor: 0.1 };
    const out: Record<string, DeviceTensor> = await exe.run({ ...feeds, ...stepFeeds(step, schedule, spec.dtype) });
    losses.push((await out["loss"]!.read()).data[0]!);
    // The scalar outputs (loss, gradNorm, the extras) of the latest step.
    const scalars = Object.keys(out).filter((n) => !n.startsWith("next.") && out[n]!.shape.length === 0);
    last = Object.fromEntries(await Promise.all(scalars.map(async (n) => [n, (await out[n]!.read()).data[0]!] as const)));
    if (process.env["NN_TRACE"]) console.log(step, last);
    const next: Record<string, DeviceTensor> = {};
    for (const [from, to] of Object.entries(carry)) next[to] = out[from]!;
    feeds = { ...feeds, ...next };
  }
  await backend.dispose();
  return { losses, last };
}

describe("trainStepProgram", () => {
  it("declares the documented feeds and outputs, and the carry maps one onto the other", () => {
    const program = trainStepProgram(mlpSpec);
    const feeds = program.feeds.map((f) => `${f.kind}:${f.name}`);
    const params = Object.keys(mlpSpec.specs).sort();
    expect(feeds).toEqual(expect.arrayContaining(["input:x", "input:labels", "input:learningRate", "input:step", ...params.map((p) => `param:${p}`), ...params.flatMap((p) => [`input:m.${p}`, `input:v.${p}`])]));
    expect(feeds.length).toBe(4 + 3 * params.length);
    const outputs = program.outputs.map((o) => o.name);
    expect(outputs).toEqual(expect.arrayContaining(["loss", "gradNorm", "correct", ...params.flatMap((p) => [`next.${p}`, `next.m.${p}`, `next.v.${p}`])]));
    expect(outputs.length).toBe(3 + 3 * params.length);
    const carry = trainStepCarry(mlpSpec.specs);
    expect(carry["next.head.W"]).toBe("head.W");
    expect(carry["next.m.head.W"]).toBe("m.head.W");
    expect(carry["next.v.hidden.b"]).toBe("v.hidden.b");
    for (const [from, to] of Object.entries(carry)) {
      expect(outputs).toContain(from);
      expect(program.feeds.map((f) => f.name)).toContain(to);
    }
    const moments = zeroMoments(mlpSpec.specs, "float32");
    expect(Object.keys(moments).sort()).toEqual(params.flatMap((p) => [`m.${p}`, `v.${p}`]).sort());
    expect(moments["m.hidden.W"]!.shape).toEqual([2, 8]);
    expect(moments["m.hidden.W"]!.data).toBeInstanceOf(Float32Array);
  });

  it("computes the gradients core `differentiate` gives for the bare loss program", () => {
    const { x, labels } = blobs(3);
    const params = initParams(mlpSpec.specs, { seed: 4 });
    const paramFeeds = Object.fromEntries(Object.entries(params).map(([n, t]) => [n, t.data]));
    const moments = Object.fromEntries(Object.entries(zeroMoments(mlpSpec.specs, "float64")).map(([n, t]) => [n, t.data]));
    const step = run(trainStepProgram({ ...mlpSpec, emitGradients: true }), { x, labels, ...paramFeeds, ...moments, learningRate: [0.01], step: [1] });
    const bare = run(differentiate(lossProgram(mlpSpec), { of: "loss" }), { x, labels, ...paramFeeds });
    expect(step["loss"]![0]).toBe(bare["loss"]![0]);
    let sq = 0;
    for (const p of Object.keys(mlpSpec.specs)) {
      const g = bare[`grad_${p}`]!;
      expect(norm(g)).toBeGreaterThan(0);
      expect(relErr(step[`grad.${p}`]!, g)).toBeLessThan(1e-14);
      sq += norm(g) ** 2;
    }
    expect(relErr(step["gradNorm"]!, [Math.sqrt(sq)])).toBeLessThan(1e-14);
  });

  it("trains a small classifier: the loss falls over 30 steps and accuracy rises", async () => {
    const { x, labels } = blobs(5);
    const { losses, last } = await train(mlpSpec, { x: hostOf(x, [BATCH, 2]), labels: hostOf(labels, [BATCH]) }, 30, 0.05);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    expect(Math.min(...losses.slice(-5))).toBeLessThan(Math.min(...losses.slice(0, 5)));
    expect(last["correct"]).toBeGreaterThanOrEqual(0.9 * BATCH);
  });

  it("trains a tiny Transformer sequence classifier", async () => {
    // The label is the first token of the sequence; mean pooling alone cannot tell position, so
    // the model must use attention over the (learned) position embeddings.
    const [B, T, vocab, dim] = [12, 4, 3, 8];
    const config = { dim, heads: 2, mlpDim: 16, layers: 1 };
    const rng = new Random(9);
    const tokens = Float64Array.from({ length: B * T }, () => rng.int(0, vocab - 1));
    const labels = Float64Array.from({ length: B }, (_, b) => tokens[b * T]!);
    const specs = mergeSpecs(
      { embed: { shape: [vocab, dim], init: { kind: "normal", std: 0.5 } }, position: { shape: [T, dim], init: { kind: "normal", std: 0.5 } } },
      prefixSpecs("encoder", transformerSpecs(config)),
      prefixSpecs("head", linearSpecs(dim, vocab)),
    );
    const spec: TrainStepSpec = {
      specs,
      inputs: { tokens: [B, T], labels: [B] },
      dtype: "float64",
      loss: (inputs, params) => {
        const embedded = ops.add(embedTokens(inputs["tokens"]!, params["embed"]!), params["position"]!);
        const encoded = transformerEncoder(embedded, unprefix("encoder", params), config);
        const head = unprefix("head", params);
        return { loss: softmaxCrossEntropy(linear(meanPool(encoded), head["W"]!, head["b"]!), inputs["labels"]!) };
      },
      optimizer: { clipNorm: 1 },
    };
    const { losses } = await train(spec, { tokens: hostOf(tokens, [B, T]), labels: hostOf(labels, [B]) }, 30, 0.02);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.6 * losses[0]!);
  });

  it("builds and runs in float32, keeping every feed and output float32", async () => {
    const spec: TrainStepSpec = { ...mlpSpec, dtype: "float32" };
    const program = trainStepProgram(spec);
    expect(program.feeds.every((f) => f.dtype === "float32")).toBe(true);
    expect(program.nodes.every((n) => n.dtype === "float32")).toBe(true);
    const { x, labels } = blobs(5);
    const backend = new ReferenceBackend();
    const exe = await backend.compile(program);
    const schedule = { peak: 0.05, warmupSteps: 1, totalSteps: 1, decay: "constant" as const };
    const feeds = { x: hostTensor(x, [BATCH, 2], "float32"), labels: hostTensor(labels, [BATCH], "float32"), ...initParams(spec.specs, { seed: 1, dtype: "float32" }), ...zeroMoments(spec.specs, "float32") };
    const out = await exe.run({ ...feeds, ...stepFeeds(1, schedule, "float32") });
    const loss = await out["loss"]!.read();
    expect(loss.dtype).toBe("float32");
    expect(Number.isFinite(loss.data[0]!)).toBe(true);
  });

  it("refuses clashing names and a non-scalar loss", () => {
    expect(() => trainStepProgram({ ...mlpSpec, inputs: { ...mlpSpec.inputs, step: [] } })).toThrow(/input 'step' has the name of the training step's own feed/);
    expect(() => trainStepProgram({ ...mlpSpec, inputs: { "m.head.W": [1] } })).toThrow(/input 'm.head.W' has the name of the moment feed of parameter 'head.W'/);
    const withOutput = (name: string): TrainStepSpec => ({ ...mlpSpec, loss: (i, p) => ({ ...mlpSpec.loss(i, p), outputs: { [name]: i["x"]! } }) });
    expect(() => trainStepProgram(withOutput("gradNorm"))).toThrow(/extra output 'gradNorm' clashes/);
    expect(() => trainStepProgram(withOutput("next.x"))).toThrow(/extra output 'next.x' clashes/);
    expect(() => trainStepProgram({ ...mlpSpec, loss: (i) => ({ loss: i["x"]! }) })).toThrow("trainStepProgram: the loss 'x' [24, 2] must be a scalar");
    expect(() => trainStepProgram({ ...mlpSpec, loss: () => ({ loss: new Graph().leaf("input", "z", []) }) })).toThrow(/different trace/);
    expect(() => trainStepProgram({ ...mlpSpec, specs: {} })).toThrow(/declares no parameters/);
  });
});
