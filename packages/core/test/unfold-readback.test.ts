// Batched reads: readTensors (one transfer where the backend has readMany, one by one where it
// has not), and runUnfolding's use of them: one read per program run, a whole layer's reads in
// one under a guard that never changes the run, and the state after every layer (onLayerState)
// read with that layer's energies, exactly the states a layer-by-layer run gives.
import { describe, expect, it } from "vitest";
import {
  type DeviceTensor,
  type HostTensor,
  type LayerRecord,
  type ParamValues,
  type Unfolding,
  FeedError,
  ReferenceBackend,
  defineUnfolding,
  hostTensor,
  readTensors,
  runUnfolding,
} from "../src/index.js";
import { d, gd, n, problem, quadratic } from "./unfold/fixtures.js";

/** The reference backend, with a readMany that records the size of every batch it is asked for. */
class BatchingBackend extends ReferenceBackend {
  readonly batches: number[] = [];
  uploads = 0;

  override upload(tensor: HostTensor): Promise<DeviceTensor> {
    this.uploads++;
    return super.upload(tensor);
  }

  async readMany(tensors: readonly DeviceTensor[]): Promise<HostTensor[]> {
    this.batches.push(tensors.length);
    const hosts: HostTensor[] = [];
    for (const t of tensors) hosts.push(await t.read());
    return hosts;
  }
}

/** Two steps per layer (the guard and the reads see more than one step a layer). */
const twoSteps = (layers: number, guard: Unfolding["guard"]["mode"], stepSize = 0.2, tiedWeights = true): Unfolding =>
  defineUnfolding({ energy: quadratic, steps: [gd(stepSize), gd(stepSize / 2, { name: "gd2" })], layers, tiedWeights, guard: { mode: guard, watch: "total" } });

/** One parameter set per layer, each its own tensors. */
const untiedSets = (layers: number): ParamValues[] => Array.from({ length: layers }, (_, l) => problem(200 + l).params);

describe("readTensors", () => {
  it("reads one by one on a backend without readMany, each what its own read() gives", async () => {
    const backend = new ReferenceBackend();
    const values = [hostTensor([1, 2, 3], [3]), hostTensor([4], [1]), hostTensor([5, 6, 7, 8], [2, 2])];
    const tensors = await Promise.all(values.map((v) => backend.upload(v)));
    const hosts = await readTensors(backend, tensors);
    expect(hosts).toEqual(await Promise.all(tensors.map((t) => t.read())));
    expect(hosts.map((h) => Array.from(h.data))).toEqual([[1, 2, 3], [4], [5, 6, 7, 8]]);
  });

  it("hands every tensor to readMany in one call where the backend has it, and none for an empty list", async () => {
    const backend = new BatchingBackend();
    const tensors = await Promise.all([hostTensor([1, 2], [2]), hostTensor([3], [1])].map((v) => backend.upload(v)));
    expect((await readTensors(backend, tensors)).map((h) => Array.from(h.data))).toEqual([[1, 2], [3]]);
    expect(await readTensors(backend, [])).toEqual([]);
    expect(backend.batches).toEqual([2]);
  });

  it("refuses what it cannot read, naming the tensor", async () => {
    const backend = new BatchingBackend();
    const mine = await backend.upload(hostTensor([1], [1]));
    const foreign = { ...mine, backend: "cpu", read: () => mine.read() } as DeviceTensor;
    await expect(readTensors(backend, [mine, foreign])).rejects.toThrow(new FeedError("read", "tensor 1 lives on backend 'cpu', not 'reference'"));
    await expect(readTensors(backend, [mine, hostTensor([1], [1]) as never])).rejects.toThrow("read: tensor 1 is not a device tensor, got an object with keys");
    await expect(readTensors(backend, mine as never)).rejects.toThrow("read: tensors must be an array of device tensors, got an object");
    expect(backend.batches).toEqual([]);
    const gone = await backend.upload(hostTensor([2], [1]));
    gone.dispose();
    await expect(readTensors(new ReferenceBackend(), [mine, gone])).rejects.toThrow(await gone.read().catch((e: Error) => e.message));
  });
});

describe("runUnfolding's reads", () => {
  it("reads each program run once, energy and terms together, when the guard may act on a step", async () => {
    const p = problem(31);
    const backend = new BatchingBackend();
    await runUnfolding(twoSteps(3, "throw"), backend, { state: p.state, params: p.params });
    // The input's energy, then every step: the energy and its two terms.
    expect(backend.batches).toEqual([3, 3, 3, 3, 3, 3, 3]);
  });

  it("reads a whole layer at once under a guard that never changes the run, the state with it when asked for", async () => {
    const p = problem(32);
    for (const mode of ["off", "warn"] as const) {
      const backend = new BatchingBackend();
      await runUnfolding(twoSteps(3, mode), backend, { state: p.state, params: p.params, onLayerState: () => undefined });
      // Layer 0's energy; then per layer both steps' energies and terms and the state after it:
      // the state the run returns is the last of these, not read again.
      expect(backend.batches).toEqual([3, 7, 7, 7]);
    }
    const eager = new BatchingBackend();
    await runUnfolding(twoSteps(3, "throw"), eager, { state: p.state, params: p.params, onLayerState: () => undefined });
    expect(eager.batches).toEqual([3, 3, 4, 3, 4, 3, 4]);
  });

  it("reads an untied layer's energy under its own parameters with the layer, unless they are the last layer's very tensors", async () => {
    const p = problem(33);
    const own = new BatchingBackend();
    await runUnfolding(twoSteps(3, "off", 0.2, false), own, { state: p.state, params: untiedSets(3) });
    expect(own.batches).toEqual([3, 6, 9, 9]);
    expect(own.uploads).toBe(1 + 3 * 2);
    const shared = new BatchingBackend();
    await runUnfolding(twoSteps(3, "off", 0.2, false), shared, { state: p.state, params: [p.params, p.params, p.params] });
    expect(shared.batches).toEqual([3, 6, 6, 6]);
    // Uploaded once each, however many layers share them.
    expect(shared.uploads).toBe(1 + 2);
  });

  it.each(["off", "warn"] as const)("records under guard '%s' exactly what step-by-step reads record: energies, rises, warnings, state", async (mode) => {
    const p = problem(34);
    // Step sizes past 2/L: the energy rises, so 'increased' and the warnings are exercised.
    const unfolding = twoSteps(4, mode, 0.9, false);
    const params = untiedSets(4);
    const batched = await runUnfolding(unfolding, new BatchingBackend(), { state: p.state, params });
    // A step-size bound that never binds makes the run read step by step.
    const stepwise = new BatchingBackend();
    const never = { mode: "check" as const, bound: () => Number.POSITIVE_INFINITY };
    const reference = await runUnfolding(unfolding, stepwise, { state: p.state, params, stepSizeBound: never });
    expect(stepwise.batches.length).toBeGreaterThan(1 + 4 * 2);
    expect(batched.trace).toEqual(reference.trace);
    expect(batched.state).toEqual(reference.state);
    expect(batched.trace.steps.some((s) => s.increased)).toBe(true);
    if (mode === "warn") expect(batched.trace.warnings.length).toBeGreaterThan(0);
  });
});

describe("runUnfolding's onLayerState and onStep", () => {
  /** The run one layer at a time (each layer its own runUnfolding of one layer): the states after each. */
  async function layerByLayer(layers: number, params: ParamValues[], state: HostTensor, mode: Unfolding["guard"]["mode"]): Promise<HostTensor[]> {
    const states = [state];
    for (let l = 0; l < layers; l++) {
      const one = defineUnfolding({ energy: quadratic, steps: [gd(0.2), gd(0.1, { name: "gd2" })], layers: 1, guard: { mode, watch: "total" } });
      states.push((await runUnfolding(one, new ReferenceBackend(), { state: states[l]!, params: params[l]! })).state);
    }
    return states;
  }

  it.each(["off", "throw"] as const)("gives, under guard '%s', the states a layer-by-layer run gives, in float64, the last the returned one", async (mode) => {
    const p = problem(35);
    const params = untiedSets(5);
    const seen: { record: LayerRecord; state: HostTensor }[] = [];
    const run = await runUnfolding(twoSteps(5, mode, 0.2, false), new ReferenceBackend(), {
      state: p.state,
      params,
      onLayerState: (record, state) => void seen.push({ record, state }),
    });
    const expected = await layerByLayer(5, params, p.state, mode);
    expect(seen.map((s) => s.record)).toEqual(run.trace.layers);
    expect(seen.map((s) => s.state.dtype)).toEqual(Array(6).fill("float64"));
    expect(seen.map((s) => Array.from(s.state.data))).toEqual(expected.map((s) => Array.from(s.data)));
    expect(seen[0]!.state).toBe(p.state);
    expect(run.state).toEqual(seen[5]!.state);
    expect(seen[5]!.state.shape).toEqual([n, d]);
  });

  it("awaits onLayerState before the next layer runs, and reports each step as it is taken", async () => {
    const p = problem(36);
    const events: string[] = [];
    const run = await runUnfolding(twoSteps(3, "throw"), new ReferenceBackend(), {
      state: p.state,
      params: p.params,
      onStep: (record) => void events.push(`step ${record.layer} ${record.step}`),
      onLayerState: async (record) => {
        events.push(`layer ${record.layer}`);
        // A later macrotask: a run that did not await this would take its next step meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 1));
        events.push(`drawn ${record.layer}`);
      },
    });
    expect(events).toEqual([
      "layer 0", "drawn 0",
      "step 1 gd", "step 1 gd2", "layer 1", "drawn 1",
      "step 2 gd", "step 2 gd2", "layer 2", "drawn 2",
      "step 3 gd", "step 3 gd2", "layer 3", "drawn 3",
    ]);
    expect(run.trace.steps.map((s) => `${s.layer} ${s.step}`)).toEqual(events.filter((e) => e.startsWith("step")).map((e) => e.slice(5)));
  });

  it("reads the state with the layer under the tolerance stop too, and a rejected onLayerState fails the run", async () => {
    const p = problem(37);
    const stopping = defineUnfolding({ energy: quadratic, steps: [gd(0.2)], layers: 200, tolerance: 1e-6, guard: { mode: "off" } });
    const layers: number[] = [];
    const run = await runUnfolding(stopping, new ReferenceBackend(), { state: p.state, params: p.params, onLayerState: (r) => void layers.push(r.layer) });
    expect(run.trace.stoppedAfter).toBeDefined();
    expect(layers).toEqual(Array.from({ length: run.trace.stoppedAfter! + 1 }, (_, i) => i));
    const failing = runUnfolding(twoSteps(3, "off"), new ReferenceBackend(), {
      state: p.state,
      params: p.params,
      onLayerState: async (r) => {
        if (r.layer === 2) throw new Error("the page was closed");
      },
    });
    await expect(failing).rejects.toThrow("the page was closed");
  });
});
