import { afterAll, describe, expect, it } from "vitest";
import { jaxEngine } from "../src/engines/jax.js";
import {
  type Engine,
  type PreparedRun,
  type Problem,
  WorkloadUnsupported,
  descentStepProblem,
  energyProblem,
  forwardProblem,
  matmulProblem,
  maxRelativeError,
  outputNames,
  referenceOutputs,
  trainProblem,
} from "../src/index.js";
import { TINY, TINY_BATCH, TINY_MATMUL, errorAgainstReference } from "./helpers.js";

// The jax-js peer is written against jax-js's own API; agreeing with core's float64 interpreter on
// the same inputs is what makes it the same math. Float32 rounding through 12 layers and an Adam
// step stays far below 1e-4; a wrong sign, transpose or step size lands near 1.
const BOUND = 1e-4;

const engine: Engine = jaxEngine();
afterAll(async () => {
  await engine.dispose?.();
});

async function prepared(problem: Problem): Promise<PreparedRun> {
  await engine.init?.();
  return engine.prepare(problem);
}

describe("jax-js against the float64 reference", () => {
  it("is a peer that says what it runs on", async () => {
    await engine.init?.();
    expect(engine.name).toBe("jax-js");
    expect(engine.peer).toBe(true);
    expect(engine.describe?.()).toMatch(/^jax-js: @jax-js\/jax \d+\.\d+\.\d+, 'wasm' backend, .*float32$/);
  });

  it("matmul", async () => {
    expect(await errorAgainstReference(engine, matmulProblem(TINY_MATMUL))).toBeLessThan(BOUND);
  });

  it.each([TINY, TINY_BATCH])("the 12-layer Yang forward at $batch x $tokens x $dim", async (size) => {
    expect(await errorAgainstReference(engine, forwardProblem(size))).toBeLessThan(BOUND);
  });

  it("one descent step (the forward with one layer)", async () => {
    expect(await errorAgainstReference(engine, descentStepProblem(TINY_BATCH))).toBeLessThan(BOUND);
  });

  it.each(["energy-and-gradient", "hvp"] as const)("%s of the Yang energy, by jax-js's own autodiff", async (kind) => {
    expect(await errorAgainstReference(engine, energyProblem(kind, TINY_BATCH))).toBeLessThan(BOUND);
  });

  it("the train step: loss, new parameters and Adam moments, every output named", async () => {
    const problem = trainProblem(TINY_BATCH);
    const run = await prepared(problem);
    try {
      const outputs = await run.check();
      expect(Object.keys(outputs).sort()).toEqual(outputNames(problem).sort());
      expect(outputs["m.Wa"]).toBeDefined();
      expect(maxRelativeError(outputs, referenceOutputs(problem))).toBeLessThan(BOUND);
    } finally {
      await run.dispose();
    }
  });

  it("runs beside onnxruntime-web, which makes Node's worker_threads Worker a global", async () => {
    const { Worker } = await import("node:worker_threads");
    const had = Object.getOwnPropertyDescriptor(globalThis, "Worker");
    Object.defineProperty(globalThis, "Worker", { value: Worker, configurable: true, writable: true });
    try {
      // A shape not compiled before: jax-js asks about workers again at every compile.
      expect(await errorAgainstReference(engine, matmulProblem({ m: 3, k: 9, n: 2 }))).toBeLessThan(BOUND);
      expect(globalThis.Worker).toBe(Worker);
    } finally {
      if (had) Object.defineProperty(globalThis, "Worker", had);
      else Reflect.deleteProperty(globalThis, "Worker");
    }
  });

  it("says it cannot run a workload it has no code for", async () => {
    const unknown = { ...matmulProblem(TINY_MATMUL), kind: "not-a-workload" } as unknown as Problem;
    await engine.init?.();
    await expect(engine.prepare(unknown)).rejects.toBeInstanceOf(WorkloadUnsupported);
  });
});

describe("jax-js runs repeatedly", () => {
  it.each([
    ["matmul", matmulProblem(TINY_MATMUL)],
    ["forward", forwardProblem(TINY)],
    ["train step", trainProblem(TINY_BATCH)],
    ["hvp", energyProblem("hvp", TINY)],
  ] as const)("%s: step() many times, then check() gives the first step's outputs again", async (_name, problem) => {
    const run = await prepared(problem);
    try {
      const first = await run.check();
      for (let i = 0; i < 5; i++) await run.step();
      // For training, check() starts over from the problem's inputs (t = 1, zero moments).
      expect(maxRelativeError(await run.check(), first)).toBe(0);
    } finally {
      await run.dispose();
    }
  });

  it("the train step carries on: the loss read by check() after steps is from a fresh start", async () => {
    // Steps update the parameters, so a second run of the same problem must not see them.
    const problem = trainProblem(TINY_BATCH);
    const a = await prepared(problem);
    const b = await prepared(problem);
    try {
      for (let i = 0; i < 3; i++) await a.step();
      expect(maxRelativeError(await a.check(), await b.check())).toBe(0);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

describe("jax-js releases what each step makes", () => {
  // jax-js keeps its arrays in one WebAssembly memory and grows it only when its allocator has no
  // freed block of the size class it needs. Freed blocks cannot add up to more than the memory
  // holds, so a step that leaks even one 16 KiB array must grow the memory within
  // (memory size / 16 KiB) + 1 steps, while a step that frees what it makes never grows it once
  // warm-up steps have allocated its working set.
  const LEAK = 16 * 1024;
  // Wrapped before any test of this file runs (describe bodies run first), so every grow is
  // counted. A memory changes size only by growing, so its size after the last grow is its size.
  const grow = WebAssembly.Memory.prototype.grow;
  let pages = 0;
  let memoryBytes = 0;
  WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, delta: number): number {
    const previous = grow.call(this, delta);
    pages += delta;
    memoryBytes = this.buffer.byteLength;
    return previous;
  };
  afterAll(() => {
    WebAssembly.Memory.prototype.grow = grow;
  });
  const enough = (): number => {
    if (memoryBytes === 0) throw new Error("jax-js has not grown a WebAssembly memory yet");
    return Math.ceil(memoryBytes / LEAK) + 1;
  };

  // dim 64: the state, C, M and Wa are each at least 16 KiB.
  const moderate = { name: "leak", batch: 2, tokens: 64, dim: 64, layers: 1 };
  it.each([
    ["matmul", matmulProblem({ m: 64, k: 64, n: 64 })],
    ["forward", forwardProblem(moderate)],
    ["train step", trainProblem(moderate)],
    ["energy-and-gradient", energyProblem("energy-and-gradient", moderate)],
    ["hvp", energyProblem("hvp", moderate)],
  ] as const)("%s: no memory growth over enough steps to expose a 16 KiB leak", async (_name, problem) => {
    const run = await prepared(problem);
    try {
      await run.check();
      for (let i = 0; i < 3; i++) await run.step();
      const steps = enough();
      const before = pages;
      for (let i = 0; i < steps; i++) await run.step();
      expect(pages - before).toBe(0);
    } finally {
      await run.dispose();
    }
  });

  it("the measurement sees a leak: that many 16 KiB arrays kept alive grow the memory", async () => {
    const jax = await import("@jax-js/jax");
    const np = jax.numpy;
    const count = enough();
    const before = pages;
    const kept = Array.from({ length: count }, (_, i) => np.array(new Float32Array(LEAK / 4).fill(i), { shape: [LEAK / 4], dtype: np.float32 }));
    await jax.blockUntilReady(kept);
    expect(pages - before).toBeGreaterThan(0);
    kept.forEach((a) => a.dispose());
  });
});
