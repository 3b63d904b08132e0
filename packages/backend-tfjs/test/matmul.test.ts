import * as tf from "@tensorflow/tfjs";
import { Random, hostTensor, input, interpret, ops, relativeError, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsBackend } from "../src/index.js";
import { PER_BATCH_MIN_WORK, matmulKernel } from "../src/lower/matmul.js";

// Shapes with m k n at the per-batch threshold, so the wasm engine splits them: both operands
// batched, one shared, and batch axes that broadcast against each other.
// The last entry is the number of batch elements, each one 2-D product when split.
const CASES: [string, number[], number[], number][] = [
  ["both batched", [3, 64, 32], [3, 32, 64], 3],
  ["left shared", [1, 64, 32], [4, 32, 64], 4],
  ["broadcast batch axes", [2, 1, 64, 32], [1, 3, 32, 64], 6],
];

function product(a: number[], b: number[]) {
  return trace({ a: input(a, "float32"), b: input(b, "float32") }, ({ a: x, b: y }) => ({ c: ops.matmul(x, y) }));
}

describe("batched matmul on the wasm engine", () => {
  const wasm = new TfjsBackend({ engine: "wasm" });
  afterAll(() => wasm.dispose());

  it.each(CASES)("%s: one 2-D product per batch element, matching the reference", async (_name, a, b, elements) => {
    expect(64 * 32 * 64).toBeGreaterThanOrEqual(PER_BATCH_MIN_WORK);
    const rng = new Random(11);
    const program = product(a, b);
    const feeds = { a: hostTensor(rng.normals(a.reduce((p, d) => p * d, 1)), a, "float32"), b: hostTensor(rng.normals(b.reduce((p, d) => p * d, 1)), b, "float32") };
    const want = interpret(program, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)]))).get("c")!;
    const exe = await wasm.compile(program);
    let out: Awaited<ReturnType<typeof exe.run>> = {};
    const info = await tf.profile(async () => void (out = await exe.run(feeds)));
    expect(info.kernels.filter((k) => k.name === "BatchMatMul")).toHaveLength(elements);
    const c = out["c"]!;
    expect(relativeError(Array.from((await c.read()).data), Array.from(want))).toBeLessThan(1e-5);
    c.dispose();
  });
});

describe("matmulKernel's per-batch-element form", () => {
  it.each(CASES)("%s: same values as the batched form, with one BatchMatMul per element", async (_name, a, b, elements) => {
    await tf.setBackend("cpu");
    const program = product(a, b);
    const node = program.nodes[program.outputs[0]!.id]!;
    if (node.op !== "matmul") throw new Error("expected the output to be the matmul");
    const x = tf.randomNormal(a);
    const y = tf.randomNormal(b);
    const batched = matmulKernel(node, program.nodes, { perBatchElement: false });
    const split = matmulKernel(node, program.nodes, { perBatchElement: true });
    const kernels = async (k: typeof split): Promise<{ values: Float32Array; products: number }> => {
      let values: Float32Array = new Float32Array();
      const info = await tf.profile(async () => {
        const c = k(tf, [x, y]);
        values = (await c.data()) as Float32Array;
        c.dispose();
      });
      return { values, products: info.kernels.filter((kn) => kn.name === "BatchMatMul").length };
    };
    const one = await kernels(batched);
    const many = await kernels(split);
    expect(one.products).toBe(1);
    expect(many.products).toBe(elements);
    expect(relativeError(Array.from(many.values), Array.from(one.values))).toBeLessThan(1e-6);
    tf.dispose([x, y]);
  });

  it("keeps small products batched: splitting them would cost more than it saves", async () => {
    const program = product([4, 8, 8], [4, 8, 8]);
    const node = program.nodes[program.outputs[0]!.id]!;
    if (node.op !== "matmul") throw new Error("expected the output to be the matmul");
    const x = tf.randomNormal([4, 8, 8]);
    const y = tf.randomNormal([4, 8, 8]);
    const info = await tf.profile(() => matmulKernel(node, program.nodes, { perBatchElement: true })(tf, [x, y]));
    expect(info.kernels.filter((kn) => kn.name === "BatchMatMul")).toHaveLength(1);
    tf.dispose([x, y, info.result as tf.Tensor]);
  });
});
