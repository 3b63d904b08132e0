import * as tf from "@tensorflow/tfjs";
import { type Executable, type HostTensor, type Program, Random, hostTensor, input, interpret, ops, optimize, relativeError, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsBackend } from "../src/index.js";

/** How many copies by broadcasting (tf.broadcastTo runs as a Tile kernel) one run of a compiled program makes. */
async function broadcastKernels(executable: Executable, feeds: Record<string, HostTensor>): Promise<number> {
  const info = await tf.profile(async () => {
    for (const t of Object.values(await executable.run(feeds))) t.dispose();
  });
  return info.kernels.filter((k) => k.name === "Tile").length;
}

const broadcastNodes = (p: Program): number => p.nodes.filter((n) => n.op === "broadcast").length;

// The tfjs lowering runs every broadcast it is given (tf.broadcastTo); core's optimize is what
// keeps a broadcast its readers would do by themselves out of the program (sinkBroadcasts).
describe("broadcasts in a compiled program", () => {
  const backend = new TfjsBackend({ engine: "cpu" });
  afterAll(() => backend.dispose());

  it("are not materialized when only elementwise ops read them, and the results still match the reference", async () => {
    // Row scales spread over the columns, as the gradient of a row sum spreads its cotangent.
    const grad = trace({ x: input([4, 6], "float32") }, ({ x }) => {
      const rows = ops.reshape(ops.exp(ops.sum(ops.mul(x, x), [1])), [4, 1]);
      return { y: ops.mul(ops.broadcastTo(rows, [4, 6]), x), z: ops.sub(x, ops.broadcastTo(ops.mul(rows, 0.5), [4, 6])) };
    });
    expect(broadcastNodes(grad)).toBe(2);
    expect(broadcastNodes(optimize(grad))).toBe(0);
    const x = hostTensor(new Random(2).normals(24, 0.3), [4, 6], "float32");
    const executable = await backend.compile(grad);
    expect(await broadcastKernels(executable, { x })).toBe(0);
    const want = interpret(grad, new Map([["x", Float64Array.from(x.data)]]));
    const outs = await executable.run({ x });
    for (const [name, t] of Object.entries(outs)) {
      expect(relativeError(Array.from((await t.read()).data), Array.from(want.get(name)!))).toBeLessThan(1e-5);
      t.dispose();
    }
  });

  it("are materialized where a reader needs the full shape (an output, a matmul), one per broadcast left in the program", async () => {
    const p = trace({ a: input([1, 3], "float32"), b: input([1, 3], "float32"), w: input([3, 2], "float32") }, ({ a, b, w }) => {
      const A = ops.broadcastTo(a, [2, 3]);
      const B = ops.broadcastTo(b, [2, 3]);
      return { s: ops.add(A, B), m: ops.matmul(ops.broadcastTo(ops.mul(a, 2), [2, 3]), w), out: ops.broadcastTo(ops.neg(b), [2, 3]) };
    });
    const feeds = { a: hostTensor([1, 2, 3], [1, 3], "float32"), b: hostTensor([4, 5, 6], [1, 3], "float32"), w: hostTensor([1, 0, 0, 1, 1, 1], [3, 2], "float32") };
    const left = broadcastNodes(optimize(p));
    expect(left).toBe(3);
    const executable = await backend.compile(p);
    expect(await broadcastKernels(executable, feeds)).toBe(left);
    const want = interpret(p, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)])));
    const outs = await executable.run(feeds);
    for (const [name, t] of Object.entries(outs)) {
      const got = await t.read();
      expect(got.shape).toEqual(p.nodes[p.outputs.find((o) => o.name === name)!.id]!.shape);
      expect(Array.from(got.data)).toEqual(Array.from(want.get(name)!));
      t.dispose();
    }
  });
});
