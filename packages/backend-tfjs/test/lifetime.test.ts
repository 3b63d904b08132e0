// TensorFlow.js is one engine per process and frees a tensor's storage only on dispose (the wasm
// engine's lives in a WebAssembly heap that never shrinks). So a backend's dispose() must free
// every tensor and constant it still holds, and those of a backend dropped without dispose()
// must be freed once it is collected. tf.memory().numTensors counts what the engine holds.
import v8 from "node:v8";
import vm from "node:vm";
import * as tf from "@tensorflow/tfjs";
import { hostTensor, input, ops, param, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { TfjsBackend, type TfjsEngine } from "../src/index.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The 2 and the 0.5 become constants, uploaded when the program compiles.
const program = trace({ x: input([4, 4], "float32"), W: param([4, 4], "float32") }, ({ x, W }) => ({
  y: ops.tanh(ops.mul(ops.matmul(x, W), 2)),
  s: ops.sum(ops.mul(x, 0.5)),
}));
const x = hostTensor(Float32Array.from({ length: 16 }, (_, i) => i / 16), [4, 4], "float32");

/** Compiles, uploads and runs, leaving the outputs and the upload undisposed; returns the backend. */
async function use(engine: TfjsEngine): Promise<TfjsBackend> {
  const backend = new TfjsBackend({ engine });
  const W = await backend.upload(x);
  const outs = await (await backend.compile(program)).run({ x, W });
  await outs["y"]!.read();
  return backend;
}

describe.each<TfjsEngine>(["cpu", "wasm"])("tfjs %s engine: what a backend holds", (engine) => {
  it("dispose() frees its constants and every tensor it handed out that is still undisposed", async () => {
    // The engine is made ready first: making it allocates tensors of its own.
    await (await use(engine)).dispose();
    const before = tf.memory().numTensors;
    const backend = await use(engine);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    await backend.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a backend dropped without dispose() has its tensors and constants freed once collected", async () => {
    await (await use(engine)).dispose();
    const before = tf.memory().numTensors;
    await use(engine);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    const deadline = Date.now() + 60_000;
    while (tf.memory().numTensors > before && Date.now() < deadline) {
      gc();
      await tick(50);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("disposing and collecting one backend leaves the tensors of another alone", async () => {
    await (await use(engine)).dispose();
    const keeper = new TfjsBackend({ engine });
    const kept = await keeper.upload(x);
    const before = tf.memory().numTensors;
    const dropped = async (): Promise<void> => {
      const backend = new TfjsBackend({ engine });
      (await backend.upload(x)).dispose();
      await backend.dispose();
    };
    await dropped();
    for (let i = 0; i < 10; i++) {
      gc();
      await tick(20);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from((await kept.read()).data)).toEqual(Array.from(x.data));
    await keeper.dispose();
  });
});
