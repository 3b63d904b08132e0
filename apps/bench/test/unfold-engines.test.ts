import { afterAll, describe, expect, it } from "vitest";
import { type Engine, forwardProblem, matmulProblem, onnxEngine, ortEngine, tfjsBackendEngine, trainProblem } from "../src/index.js";
import { TINY, TINY_BATCH, TINY_MATMUL, errorAgainstReference } from "./helpers.js";

// Unfold's ONNX and TensorFlow.js backends as bench engines: the same problems as the peers, the
// same float32 bounds against core's float64 interpreter.
const engines: Engine[] = [onnxEngine(), tfjsBackendEngine()];
afterAll(async () => {
  for (const e of engines) await e.dispose?.();
});

describe.each(engines.map((e) => [e.name, e] as const))("%s against the float64 reference", (_name, engine) => {
  it("is an Unfold engine, not a peer", () => {
    expect(engine.peer).toBe(false);
  });

  it("matmul", async () => {
    expect(await errorAgainstReference(engine, matmulProblem(TINY_MATMUL))).toBeLessThan(1e-6);
  });

  it.each([TINY, TINY_BATCH])("the 12-layer Yang forward at $batch x $tokens x $dim", async (size) => {
    expect(await errorAgainstReference(engine, forwardProblem(size))).toBeLessThan(1e-5);
  });

  it("the train step (loss, new parameters, Adam moments), parameters resident between steps", async () => {
    expect(await errorAgainstReference(engine, trainProblem(TINY_BATCH))).toBeLessThan(1e-4);
  });
});

describe("unfold-onnx beside the ort-wasm peer", () => {
  it("shares onnxruntime-web's one thread count with it, and says which", async () => {
    const peer = ortEngine();
    try {
      await peer.init?.();
      const run = await engines[0]!.prepare(forwardProblem(TINY));
      await run.dispose();
      expect(engines[0]!.describe!()).toMatch(/wasm execution provider, 2 threads/);
      expect(peer.describe!()).toMatch(/2 threads/);
    } finally {
      await peer.dispose?.();
    }
  });
});
