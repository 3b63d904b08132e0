import { afterAll, describe, expect, it } from "vitest";
import {
  type Engine,
  WorkloadUnsupported,
  descentStepProblem,
  energyProblem,
  forwardProblem,
  matmulProblem,
  maxRelativeError,
  ortEngine,
  referenceOutputs,
  tfjsEngine,
  trainProblem,
} from "../src/index.js";
import { TINY, TINY_BATCH, TINY_MATMUL, errorAgainstReference } from "./helpers.js";

// Each peer is written against its own library's API; agreeing with core's float64 interpreter
// on the same inputs is what makes it the same math. Float32 rounding through 12 layers stays
// far below these bounds; a wrong sign, transpose or step size lands near 1.
const peers: Engine[] = [tfjsEngine("cpu"), tfjsEngine("wasm"), ortEngine()];
afterAll(async () => {
  for (const p of peers) await p.dispose?.();
});

describe.each(peers.map((p) => [p.name, p] as const))("%s against the float64 reference", (_name, engine) => {
  it("matmul", async () => {
    expect(await errorAgainstReference(engine, matmulProblem(TINY_MATMUL))).toBeLessThan(1e-6);
  });

  it.each([TINY, TINY_BATCH])("the 12-layer Yang forward at $batch x $tokens x $dim", async (size) => {
    expect(await errorAgainstReference(engine, forwardProblem(size))).toBeLessThan(1e-5);
  });

  it("one descent step", async () => {
    expect(await errorAgainstReference(engine, descentStepProblem(TINY_BATCH))).toBeLessThan(1e-5);
  });

  it("the energy and its gradient in the state (autodiff, or onnxruntime-web's closed form)", async () => {
    expect(await errorAgainstReference(engine, energyProblem("energy-and-gradient", TINY_BATCH))).toBeLessThan(1e-5);
  });

  it("a Hessian-vector product: TensorFlow.js's is wrong (its second derivative through exp misses a term), onnxruntime-web says it cannot", async () => {
    const problem = energyProblem("hvp", TINY_BATCH);
    if (engine.name === "ort-wasm") {
      await expect(engine.prepare(problem)).rejects.toBeInstanceOf(WorkloadUnsupported);
      return;
    }
    expect(await errorAgainstReference(engine, problem)).toBeGreaterThan(1e-2);
  });

  it("the train step (loss, new parameters, Adam moments), or says it cannot", async () => {
    const problem = trainProblem(TINY_BATCH);
    if (engine.name === "ort-wasm") {
      await expect(engine.prepare(problem)).rejects.toBeInstanceOf(WorkloadUnsupported);
      return;
    }
    expect(await errorAgainstReference(engine, problem)).toBeLessThan(1e-4);
  });
});

describe("the reference itself", () => {
  it("is not trivial: attention mixes tokens and the ReLU is active in the tiny forward", () => {
    const problem = forwardProblem(TINY);
    const out = referenceOutputs(problem)["state"]!;
    const input = problem.inputs.state.data;
    expect(out.some((x) => x === 0)).toBe(true);
    expect(out.some((x) => x > 0)).toBe(true);
    let moved = 0;
    for (let i = 0; i < out.length; i++) moved += Math.abs(out[i]! - input[i]!);
    expect(moved / out.length).toBeGreaterThan(1e-3);
  });
});

describe("tfjs engines interleaved, as the runner times them", () => {
  it("each run switches TensorFlow.js to its own backend, whichever engine ran last", async () => {
    const [cpu, wasm] = [peers[0]!, peers[1]!];
    await cpu.init?.();
    await wasm.init?.();
    const problem = matmulProblem(TINY_MATMUL);
    const onCpu = await cpu.prepare(problem);
    const onWasm = await wasm.prepare(problem);
    const { loadTf } = await import("../src/engines/tfjs.js");
    const tf = await loadTf();
    try {
      for (const [run, backend] of [[onCpu, "cpu"], [onWasm, "wasm"], [onCpu, "cpu"]] as const) {
        await run.step();
        expect(tf.getBackend()).toBe(backend);
      }
      expect(maxRelativeError(await onCpu.check(), referenceOutputs(problem))).toBeLessThan(1e-6);
    } finally {
      await onCpu.dispose();
      await onWasm.dispose();
    }
  });
});
