import * as tf from "@tensorflow/tfjs";
import { Random, hostTensor, input, logsumexp, ops, param, softmax, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsBackend, type TfjsEngine } from "../src/index.js";

/** Softmax attention, a reduction, a gather and a pass-through output: every kind of step. */
function attentionProgram() {
  return trace({ x: input([4, 6], "float32"), W: param([6, 6], "float32"), idx: input([3], "float32") }, ({ x, W, idx }) => {
    const scores = ops.matmul(ops.matmul(x, W), x.T);
    return { y: ops.matmul(softmax(scores, -1), x), l: logsumexp(scores, 0), g: ops.gather(x, idx, 0), x };
  });
}

describe.each<TfjsEngine>(["cpu", "wasm"])("tfjs %s engine", (engine) => {
  const backend = new TfjsBackend({ engine });
  afterAll(() => backend.dispose());

  it("keeps tf.memory() flat over 1,000 runs of one program", async () => {
    const rng = new Random(7);
    const program = attentionProgram();
    const exe = await backend.compile(program);
    const W = await backend.upload(hostTensor(rng.normals(36, 0.3), [6, 6], "float32"));
    const feeds = { x: hostTensor(rng.normals(24), [4, 6], "float32"), W, idx: hostTensor([3, 0, 3], [3], "float32") };
    const once = async (): Promise<void> => {
      const outs = await exe.run(feeds);
      for (const t of Object.values(outs)) {
        await t.read();
        t.dispose();
      }
    };
    await once();
    const before = tf.memory();
    for (let i = 0; i < 1000; i++) await once();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    W.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors - 1);
  });
});
