// Batched readbacks: readMany copies several tensors into one staging buffer and maps it once,
// giving exactly what reading each gives; runUnfolding on WebGPU costs one map per program run,
// or one per layer (the state after it included) under a guard that never changes the run.
// Counted through the backend's stats (submits, readbacks), not timed.
import { type HostTensor, Random, type Unfolding, ReferenceBackend, defineUnfolding, hostTensor, input, ops, readTensors, runUnfolding, trace } from "@unfold/core";
import { initYangParams, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebGpuBackend } from "../src/index.js";
import { stagingGroups } from "../src/readback.js";
import { describeGpu } from "./gpu.js";
import { maxError, normals } from "./helpers.js";

describe("staging groups", () => {
  it("put every read in one staging buffer up to the device's limit, and start another past it, skipping empty tensors", () => {
    const source = (elements: number) => ({ buffer: undefined as never, elements, shape: [elements] });
    expect(stagingGroups([source(3), source(0), source(5)], 1024)).toEqual([
      { bytes: 32, members: [{ index: 0, offset: 0, bytes: 12 }, { index: 2, offset: 12, bytes: 20 }] },
    ]);
    expect(stagingGroups([source(100), source(100), source(60)], 640).map((g) => g.members.map((m) => [m.index, m.offset]))).toEqual([
      [[0, 0]],
      [[1, 0], [2, 400]],
    ]);
    expect(stagingGroups([source(0)], 1024)).toEqual([]);
  });
});

const DIM = 4;
const TOKENS = 8;

/** The page's live scene in small: the Yang et al. energy, its two steps per layer, in float32. */
function yangRun(layers: number, guard: "off" | "throw") {
  const energy = yangEnergy({ dim: DIM });
  const exact = initYangParams({ dim: DIM }, { seed: 7 });
  const steps = yangLayerSteps(energy, { attentionStepSize: 0.5, feedForwardStepSize: 0.05 });
  const rng = new Random(8);
  const tokens = Float64Array.from({ length: TOKENS * DIM }, () => Math.abs(rng.normal()));
  const params32 = Object.fromEntries(Object.entries(exact).map(([name, t]) => [name, hostTensor(Float32Array.from(t.data), t.shape, "float32")]));
  const params64 = Object.fromEntries(Object.entries(exact).map(([name, t]) => [name, hostTensor(Float64Array.from(t.data), t.shape, "float64")]));
  return {
    unfolding: defineUnfolding({ energy, steps, layers, guard: { mode: guard } }) as Unfolding,
    state32: hostTensor(Float32Array.from(tokens), [1, TOKENS, DIM], "float32"),
    state64: hostTensor(tokens, [1, TOKENS, DIM], "float64"),
    params32,
    params64,
    steps: steps.length,
  };
}

describeGpu("batched readbacks", () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    backend = await WebGpuBackend.create();
  });
  afterAll(() => backend.dispose());

  it("readMany gives what reading each tensor gives, in order, in one submit and one map", async () => {
    const values = [normals([3], 1), normals([0], 2), normals([64, 16], 3), normals([1], 4), normals([5, 7], 5)];
    const uploaded = await Promise.all(values.map((v) => backend.upload(v)));
    const program = trace({ x: input([64, 16], "float32") }, ({ x }) => ({ doubled: ops.mul(x, 2), total: ops.sum(x) }));
    const outs = await (await backend.compile(program)).run({ x: values[2]! });
    const tensors = [...uploaded, outs["doubled"]!, outs["total"]!];
    const one = await Promise.all(tensors.map((t) => t.read()));
    const before = backend.stats();
    const many = await readTensors(backend, tensors);
    const after = backend.stats();
    expect(after.readbacks - before.readbacks).toBe(1);
    expect(after.submits - before.submits).toBe(1);
    expect(many).toEqual(one);
    expect(many.slice(0, 5).map((h) => Array.from(h.data))).toEqual(values.map((v) => Array.from(v.data)));
    expect(many.map((h) => h.data.constructor)).toEqual(Array(7).fill(Float32Array));
    // One read each: a map per tensor with data (the empty one needs none).
    const each = backend.stats().readbacks;
    for (const t of tensors) await t.read();
    expect(backend.stats().readbacks - each).toBe(6);
    for (const t of [...tensors]) t.dispose();
  });

  it("refuses a tensor of another WebGPU instance, a disposed tensor, and any read after dispose(), naming each", async () => {
    const other = await WebGpuBackend.create();
    const mine = await backend.upload(normals([4], 6));
    const theirs = await other.upload(normals([4], 7));
    await expect(readTensors(backend, [mine, theirs])).rejects.toThrow("read: tensor 1 lives on another WebGPU backend instance");
    const gone = await backend.upload(normals([4], 8));
    gone.dispose();
    await expect(readTensors(backend, [mine, gone])).rejects.toThrow("read: tensor was disposed");
    const later = await other.upload(normals([2], 9));
    await other.dispose();
    await expect(other.readMany([later])).rejects.toThrow("webgpu: read after dispose(): ");
    mine.dispose();
  });

  it.each([
    // Energy at layer 0, then one map per layer: both steps' energies and the state after it.
    ["off", (layers: number) => 1 + layers],
    // Energy at layer 0, then one map per step (the guard may drop it); the state rides with the layer's last.
    ["throw", (layers: number) => 1 + 2 * layers],
  ] as const)("maps once per %s-guarded layer as counted, and gives the reference's states after every layer", async (guard, maps) => {
    const layers = 6;
    const run = yangRun(layers, guard);
    const states: HostTensor[] = [];
    // Compiled once first, so the counts are of the run alone.
    await runUnfolding(run.unfolding, backend, { state: run.state32, params: run.params32 });
    const before = backend.stats();
    const result = await runUnfolding(run.unfolding, backend, { state: run.state32, params: run.params32, onLayerState: (_, s) => void states.push(s) });
    const after = backend.stats();
    expect(after.readbacks - before.readbacks).toBe(maps(layers));
    // Runs: the energy at layer 0 and every step; reads: one submit per map.
    expect(after.submits - before.submits).toBe(1 + run.steps * layers + maps(layers));
    const reference: HostTensor[] = [];
    await runUnfolding(run.unfolding, new ReferenceBackend(), { state: run.state64, params: run.params64, onLayerState: (_, s) => void reference.push(s) });
    expect(states.length).toBe(layers + 1);
    states.forEach((s, l) => expect(maxError(s.data, reference[l]!.data), `layer ${l}`).toBeLessThan(1e-4));
    expect(Array.from(result.state.data)).toEqual(Array.from(states[layers]!.data));
  });
});
