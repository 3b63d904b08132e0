// onnxruntime adds a reduction's terms one after another into one float32 total: long float32
// sums are exported split into short ones (core's splitLongSums), and the models stay standard.
import { type HostTensor, LONG_SUM_TERMS, type Program, Random, ShapeError, hostTensor, input, ops, outputShape, softmax, trace } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import { OnnxBackend, exportOnnx, inspectOnnx } from "../src/index.js";
import { onnx, reference, relErr } from "./helpers.js";

const opTypes = (bytes: Uint8Array): string[] => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);

/** `size` float32 values within 1% of `center`: the terms whose serial float32 sum drifts the most. */
function alike(shape: number[], center: number, seed = 3): HostTensor {
  const rng = new Random(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return hostTensor(Float32Array.from({ length: size }, () => center * (1 + 0.01 * rng.uniform())), shape, "float32");
}

describe("long float32 sums on onnxruntime", () => {
  const backend = new OnnxBackend();
  afterAll(() => backend.dispose());

  it("come within 4e-6 of float64: 2^16 terms near 0.1, a mean over 2^16 tokens, a softmax over a row of 2^18", async () => {
    // Unsplit (one ReduceSum, the native Softmax) these come out 1.2e-5, 7.6e-5 and 1.2e-4 off;
    // split, 1.7e-7, 8.8e-8 and 1.4e-6.
    const n = 2 ** 16;
    const program = trace({ x: input([2, n], "float32"), t: input([1, n, 2], "float32"), s: input([1, 4 * n], "float32") }, ({ x, t, s }) => ({
      total: ops.sum(x, -1),
      pooled: ops.mean(t, 1),
      p: softmax(s, -1),
    }));
    const feeds = { x: alike([2, n], 0.1), t: alike([1, n, 2], 0.5, 4), s: alike([1, 4 * n], 0.025, 5) };
    const outs = await (await backend.compile(program)).run(feeds);
    const want = reference(program, feeds);
    for (const name of ["total", "pooled", "p"]) {
      const got = await outs[name]!.read();
      expect(relErr(got.data, want.get(name)!), name).toBeLessThan(4e-6);
    }
  });

  it("leave short sums, and the native Softmax of a short row, as they were", () => {
    const short = trace({ x: input([4, LONG_SUM_TERMS], "float32") }, ({ x }) => ({ s: ops.sum(x, -1, true), p: softmax(x, -1) }));
    expect(opTypes(exportOnnx(short)).filter((t) => t !== "Identity")).toEqual(["ReduceSum", "Softmax"]);
    const long = trace({ x: input([4, 2 * LONG_SUM_TERMS], "float32") }, ({ x }) => ({ p: softmax(x, -1) }));
    const types = opTypes(exportOnnx(long));
    expect(types).not.toContain("Softmax");
    expect(types.filter((t) => t === "ReduceSum").length).toBeGreaterThan(1);
  });

  it("stay one ReduceSum in float64", () => {
    const program = trace({ x: input([2 ** 16], "float64") }, ({ x }) => ops.sum(x));
    expect(opTypes(exportOnnx(program)).filter((t) => t === "ReduceSum")).toHaveLength(1);
  });
});

describe("an exported model with a long sum", () => {
  // 4099 is prime: the blocks leave a remainder, so the model also slices.
  const build = (batch: number): Program =>
    trace({ x: input([batch, 4099], "float32") }, ({ x }) => ({ total: ops.sum(x, -1, true), p: softmax(x, -1), m: ops.mean(ops.reshape(x, [batch, 4099, 1]), 1) }));

  it("is made of standard operators, keeps its symbolic batch axis and runs at other batch sizes", async () => {
    const bytes = exportOnnx(build(2), { batchDim: "batch" });
    const summary = inspectOnnx(bytes);
    expect(Object.keys(summary.opTypes).sort()).toEqual(["Add", "Div", "Exp", "Identity", "ReduceMax", "ReduceSum", "Reshape", "Slice", "Sub"]);
    expect(summary.inputs).toEqual([{ name: "x", dtype: "float32", shape: ["batch", 4099] }]);
    expect(summary.outputs.map((o) => o.shape)).toEqual([
      ["batch", 1],
      ["batch", 4099],
      ["batch", 1],
    ]);
    const session = await ort.InferenceSession.create(bytes);
    try {
      for (const batch of [1, 3]) {
        const x = alike([batch, 4099], 0.3, batch);
        const got = await session.run({ x: new ort.Tensor("float32", x.data as Float32Array, [batch, 4099]) });
        const want = reference(build(batch), { x });
        for (const name of ["total", "p", "m"]) {
          expect(got[name]!.dims, name).toEqual(outputShape(build(batch), name));
          expect(relErr(got[name]!.data as Float32Array, want.get(name)!), `${name} at batch ${batch}`).toBeLessThan(1e-6);
        }
      }
    } finally {
      await session.release();
    }
  });

  it("is refused a symbolic batch axis when the long sum reduces over it, naming the sum", () => {
    const program = trace({ x: input([4099, 3], "float32") }, ({ x }) => ({ s: ops.sum(x, 0) }));
    expect(() => exportOnnx(program, { batchDim: "batch" })).toThrow(ShapeError);
    expect(() => exportOnnx(program, { batchDim: "batch" })).toThrow(/^exportOnnx: batchDim 'batch': the program reduces over the batch axis \(sum %\d+ \[1, 3\]\)/);
  });
});
