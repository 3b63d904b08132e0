import { type Backend, type DeviceTensor, type Executable, type Feeds, type Program, ReferenceBackend, isDeviceTensor } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  EngineUnavailable,
  TRAIN_PARAMS,
  WorkloadUnsupported,
  backendEngine,
  cpuEngine,
  forwardProblem,
  loadCpuBackend,
  matmulProblem,
  maxRelativeError,
  referenceOutputs,
  runBench,
  trainProblem,
} from "../src/index.js";
import { TINY, TINY_BATCH, TINY_MATMUL } from "./helpers.js";

/** ReferenceBackend, recording what each run is fed and what it returns. */
class SpyBackend implements Backend {
  readonly inner = new ReferenceBackend();
  readonly name = this.inner.name;
  readonly dtypes = this.inner.dtypes;
  readonly runs: { feeds: Feeds; outputs: Record<string, DeviceTensor> }[] = [];
  uploads = 0;
  compiled: Program[] = [];
  disposed = false;

  async compile(program: Program): Promise<Executable> {
    this.compiled.push(program);
    const exe = await this.inner.compile(program);
    return {
      program,
      run: async (feeds) => {
        const outputs = await exe.run(feeds);
        this.runs.push({ feeds: { ...feeds }, outputs });
        return outputs;
      },
    };
  }
  upload(...args: Parameters<Backend["upload"]>): Promise<DeviceTensor> {
    this.uploads++;
    return this.inner.upload(...args);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.inner.dispose();
  }
}

describe("backendEngine (any core Backend as an engine), with ReferenceBackend", () => {
  it("runs the forward and matmul workloads and matches the float64 reference", async () => {
    const engine = backendEngine("ref64", () => new ReferenceBackend(), { dtype: "float64" });
    for (const problem of [forwardProblem(TINY), matmulProblem(TINY_MATMUL)]) {
      const run = await engine.prepare(problem);
      expect(maxRelativeError(await run.check(), referenceOutputs(problem))).toBeLessThan(1e-13);
      await run.step();
      await run.dispose();
    }
    await engine.dispose?.();
  });

  it("computes in float32 by default and still agrees to float32 rounding", async () => {
    const engine = backendEngine("ref32", () => new ReferenceBackend());
    const problem = trainProblem(TINY_BATCH);
    const run = await engine.prepare(problem);
    expect(maxRelativeError(await run.check(), referenceOutputs(problem))).toBeLessThan(1e-5);
    await run.dispose();
  });

  it("keeps parameters and Adam moments resident: each step is fed the previous step's outputs", async () => {
    const spy = new SpyBackend();
    const engine = backendEngine("spy", () => spy, { dtype: "float64" });
    const run = await engine.prepare(trainProblem(TINY_BATCH));
    const uploads = spy.uploads;
    await run.check();
    await run.step();
    await run.step();
    expect(spy.uploads).toBe(uploads);
    expect(spy.runs).toHaveLength(3);
    for (let k = 1; k < 3; k++) {
      const { feeds } = spy.runs[k]!;
      const previous = spy.runs[k - 1]!.outputs;
      for (const p of TRAIN_PARAMS) {
        expect(feeds[p]).toBe(previous[`new.${p}`]);
        expect(feeds[`m.${p}`]).toBe(previous[`m.${p}`]);
        expect(feeds[`v.${p}`]).toBe(previous[`v.${p}`]);
      }
      expect(isDeviceTensor(feeds["state"]!)).toBe(true);
      // The step count's bias corrections arrive from the host, step by step.
      expect(isDeviceTensor(feeds["correction1"]!)).toBe(false);
      expect((feeds["correction1"] as { data: Float64Array }).data[0]).toBeCloseTo(1 - 0.9 ** (k + 1), 15);
    }
    // What was not carried forward was released.
    expect(spy.runs[0]!.outputs["loss"]!.disposed).toBe(true);
    await run.dispose();
    expect(Object.values(spy.runs[2]!.outputs).filter((t) => !t.disposed)).toEqual([]);
    await engine.dispose?.();
    expect(spy.disposed).toBe(true);
  });

  it("compiles the core-optimized program, no larger than the traced one", async () => {
    const spy = new SpyBackend();
    const engine = backendEngine("spy", () => spy);
    const run = await engine.prepare(forwardProblem(TINY));
    await run.dispose();
    const { programTask } = await import("../src/index.js");
    expect(spy.compiled[0]!.nodes.length).toBeLessThan(programTask(forwardProblem(TINY), "float32").program.nodes.length);
  });

  it("says so when the backend lacks the dtype", async () => {
    const engine = backendEngine("no64", () => Object.assign(new ReferenceBackend(), { dtypes: ["float32"] as const }), { dtype: "float64" });
    await expect(engine.prepare(forwardProblem(TINY))).rejects.toBeInstanceOf(WorkloadUnsupported);
  });
});

describe("the unfold-cpu engine's loader", () => {
  const notFound = Object.assign(new Error("Cannot find package '@unfold/backend-cpu'"), { code: "ERR_MODULE_NOT_FOUND" });

  it("reports a missing package, a missing class, or a non-Backend as unavailable, with the reason", async () => {
    await expect(loadCpuBackend(() => Promise.reject(notFound))).rejects.toThrow(/@unfold\/backend-cpu is not installed/);
    await expect(loadCpuBackend(async () => ({}))).rejects.toThrow(/exports no class CpuBackend/);
    await expect(loadCpuBackend(async () => ({ CpuBackend: class {} }))).rejects.toThrow(/does not implement the core Backend interface/);
    await expect(loadCpuBackend(() => Promise.reject(new Error("boom")))).rejects.toThrow(/failed to load: boom/);
    await expect(loadCpuBackend(async () => ({}))).rejects.toBeInstanceOf(EngineUnavailable);
  });

  it("constructs CpuBackend when the package has it", async () => {
    const backend = await loadCpuBackend(async () => ({ CpuBackend: ReferenceBackend }));
    expect(backend).toBeInstanceOf(ReferenceBackend);
  });

  it("loads the real package, or reports it unavailable (never anything else)", async () => {
    const outcome = await loadCpuBackend().then(
      async (b) => (await b.dispose(), "loaded"),
      (e: unknown) => (e instanceof EngineUnavailable ? "unavailable" : e),
    );
    expect(["loaded", "unavailable"]).toContain(outcome);
  });

  it("turns into an 'unavailable: <reason>' row instead of a failure", async () => {
    const { rows } = await runBench({
      workloads: ["matmul"],
      sizes: [],
      matmul: TINY_MATMUL,
      engines: [cpuEngine(() => loadCpuBackend(async () => ({})))],
      repeats: 1,
      warmup: 0,
      skipReference: true,
      tolerance: 1e-3,
    });
    expect(rows).toEqual([
      expect.objectContaining({ engine: "unfold-cpu", medianMs: null, relErr: null, note: "unavailable: @unfold/backend-cpu exports no class CpuBackend" }),
    ]);
  });

  it("runs like any backend once the class is there", async () => {
    const { rows } = await runBench({
      workloads: ["unfold-forward"],
      sizes: [TINY],
      matmul: TINY_MATMUL,
      engines: [cpuEngine(() => loadCpuBackend(async () => ({ CpuBackend: ReferenceBackend })))],
      repeats: 2,
      warmup: 1,
      skipReference: true,
      tolerance: 1e-3,
    });
    expect(rows[0]!.relErr).toBeLessThan(1e-5);
    expect(rows[0]!.medianMs).toBeGreaterThanOrEqual(0);
    expect(rows[0]!.note).toBeUndefined();
  });
});

describe("the pool figure of a backend with its own memory count", () => {
  it("is what a workload adds, not what other workloads' runs still hold", async () => {
    const engine = cpuEngine();
    try {
      await engine.init?.();
      const problem = forwardProblem({ ...TINY_BATCH, dim: 16, tokens: 32 });
      const first = await engine.prepare(problem);
      await first.check();
      const alone = first.poolBytes!();
      // The first run stays prepared (its plan buffers and resident inputs stay in use) while the
      // second is measured: counted from zero, the second figure would include the first's bytes.
      const second = await engine.prepare(problem);
      await second.check();
      const beside = second.poolBytes!();
      expect(alone).toBeGreaterThan(problem.inputs.state.data.length * 4);
      expect(beside).toBeGreaterThan(0);
      expect(beside).toBeLessThanOrEqual(alone);
      await first.dispose();
      await second.dispose();
    } finally {
      await engine.dispose?.();
    }
  });
});
