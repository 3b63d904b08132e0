import * as tf from "@tensorflow/tfjs";
import { Random, hostTensor, input, interpret, ops, relativeError, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsBackend } from "../src/index.js";
import { planProgram } from "../src/lower/plan.js";

/**
 * How many copies by broadcasting (tf.broadcastTo runs as a Tile kernel) one run of the plan's
 * steps makes. The program is planned as traced, not optimized: core's optimize now sinks most
 * broadcasts itself, and these tests are about what the tfjs lowering does with those it is given.
 */
async function broadcastKernels(program: ReturnType<typeof trace>, feeds: Record<string, tf.Tensor>): Promise<number> {
  const plan = planProgram(program);
  const info = await tf.profile(() => {
    tf.tidy(() => {
      const values = new Map<number, tf.Tensor>();
      for (const [name, id] of plan.feeds) values.set(id, feeds[name]!);
      for (const id of plan.constants) {
        const n = plan.program.nodes[id]!;
        if (n.op === "constant") values.set(id, tf.tensor(Float32Array.from(n.value), [...n.shape]));
      }
      for (const s of plan.steps) values.set(s.id, s.kernel(tf, s.inputs.map((i) => values.get(i)!)));
    });
  });
  return info.kernels.filter((k) => k.name === "Tile").length;
}

describe("broadcasts the readers would do themselves", () => {
  const backend = new TfjsBackend({ engine: "cpu" });
  afterAll(() => backend.dispose());

  it("are not materialized when only elementwise ops read them, and the results still match the reference", async () => {
    // Row scales spread over the columns, as the gradient of a row sum spreads its cotangent.
    const grad = trace({ x: input([4, 6], "float32") }, ({ x }) => {
      const rows = ops.reshape(ops.exp(ops.sum(ops.mul(x, x), [1])), [4, 1]);
      return { y: ops.mul(ops.broadcastTo(rows, [4, 6]), x), z: ops.sub(x, ops.broadcastTo(ops.mul(rows, 0.5), [4, 6])) };
    });
    expect(grad.nodes.filter((n) => n.op === "broadcast")).toHaveLength(2);
    const rng = new Random(2);
    const x = hostTensor(rng.normals(24, 0.3), [4, 6], "float32");
    expect(await broadcastKernels(grad, { x: tf.tensor(x.data as Float32Array, [4, 6]) })).toBe(0);
    const want = interpret(grad, new Map([["x", Float64Array.from(x.data)]]));
    const outs = await (await backend.compile(grad)).run({ x });
    for (const [name, t] of Object.entries(outs)) {
      expect(relativeError(Array.from((await t.read()).data), Array.from(want.get(name)!))).toBeLessThan(1e-5);
      t.dispose();
    }
  });

  it("are materialized where a reader needs the full shape: an output, a matmul, or two small operands", async () => {
    const p = trace({ a: input([1, 3], "float32"), b: input([1, 3], "float32"), w: input([3, 2], "float32") }, ({ a, b, w }) => {
      const A = ops.broadcastTo(a, [2, 3]);
      const B = ops.broadcastTo(b, [2, 3]);
      return { s: ops.add(A, B), m: ops.matmul(ops.broadcastTo(ops.mul(a, 2), [2, 3]), w), out: ops.broadcastTo(ops.neg(b), [2, 3]) };
    });
    const feeds = { a: hostTensor([1, 2, 3], [1, 3], "float32"), b: hostTensor([4, 5, 6], [1, 3], "float32"), w: hostTensor([1, 0, 0, 1, 1, 1], [3, 2], "float32") };
    // a + b on [1,3] operands would come out [1,3]: one of the two broadcasts must run.
    expect(await broadcastKernels(p, Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, tf.tensor(t.data as Float32Array, [...t.shape])])))).toBe(3);
    const want = interpret(p, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)])));
    const outs = await (await backend.compile(p)).run(feeds);
    for (const [name, t] of Object.entries(outs)) {
      const got = await t.read();
      expect(got.shape).toEqual(p.nodes[p.outputs.find((o) => o.name === name)!.id]!.shape);
      expect(Array.from(got.data)).toEqual(Array.from(want.get(name)!));
      t.dispose();
    }
  });
});
