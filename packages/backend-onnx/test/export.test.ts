import { type Program, ShapeError, UnfoldError, hostTensor, input, layerNorm, logsumexp, ops, param, sigmoid, softmax, trace } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { exportOnnx, inspectOnnx } from "../src/index.js";
import { onnx, reference, relErr, yangForward } from "./helpers.js";

const decode = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes);
const opTypes = (bytes: Uint8Array): string[] => decode(bytes).graph!.node!.map((n) => n.opType!);

describe("exportOnnx", () => {
  it("records metadata, the opset and the producer", () => {
    const { program, terms } = yangForward(2, [1, 4, 8], "float32");
    const model = decode(exportOnnx(program, { metadata: { energyTerms: terms, steps: 2, unfoldVersion: "0.3.0", extra: { note: "x" } } }));
    const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value]));
    expect(meta).toEqual({ "unfold.energy_terms": terms.join(","), "unfold.steps": "2", "unfold.version": "0.3.0", note: "x" });
    expect(Number(model.opsetImport![0]!.version)).toBe(18);
    expect(model.producerName).toBe("unfold");
    expect(model.producerVersion).toBe("0.3.0");
  });

  it("bakes given parameters in as initializers and keeps the rest as graph inputs", () => {
    const { program, params } = yangForward(2, [1, 4, 8], "float64");
    const baked = decode(exportOnnx(program, { params: { Wa: params["Wa"]! } })).graph!;
    const inputs = baked.input!.map((i) => i.name);
    expect(inputs).toContain("state");
    expect(inputs).not.toContain("Wa");
    const wa = baked.initializer!.find((t) => t.name === "Wa")!;
    expect(wa.dataType).toBe(11);
    expect(wa.dims!.map(Number)).toEqual([...params["Wa"]!.shape]);
    // protobufjs may hand back a view into a larger buffer in Node: copy before reinterpreting.
    const raw = Uint8Array.from(wa.rawData!);
    expect(Array.from(new Float64Array(raw.buffer))).toEqual(Array.from(params["Wa"]!.data));
    const open = decode(exportOnnx(program)).graph!;
    expect(open.input!.map((i) => i.name).sort()).toEqual(program.feeds.map((f) => f.name).sort());
    expect(open.initializer!.some((t) => t.name === "Wa")).toBe(false);
  });

  it("rejects parameter values that do not fit the program", () => {
    const { program, params } = yangForward(1, [1, 4, 8], "float32");
    expect(() => exportOnnx(program, { params: { state: params["Wa"]! } })).toThrow(/not a parameter/);
    expect(() => exportOnnx(program, { params: { Wa: hostTensor([1], [1], "float32") } })).toThrow(/shape/);
  });

  it("makes the batch axis symbolic, and the model then runs at another batch size", async () => {
    const { program, params } = yangForward(3, [2, 5, 8], "float32");
    const bytes = exportOnnx(program, { batchDim: "batch", params });
    const graph = decode(bytes).graph!;
    type Info = { type?: { tensorType?: { shape?: { dim?: { dimParam?: string | null; dimValue?: unknown }[] | null } | null } | null } | null } | undefined;
    const dims = (v: Info) => v!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims(graph.input!.find((i) => i.name === "state"))).toEqual(["batch", 5, 8]);
    expect(dims(graph.output!.find((o) => o.name === "state.out"))).toEqual(["batch", 5, 8]);
    // Batch 3 through a model traced at batch 2, against the reference traced at batch 3.
    const three = yangForward(3, [3, 5, 8], "float32");
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ state: new ort.Tensor("float32", three.state.data as Float32Array, [3, 5, 8]) });
    const want = reference(three.program, { state: three.state, ...params }).get("state")!;
    expect(relErr(out["state.out"]!.data as Float32Array, want)).toBeLessThan(1e-5);
    await session.release();
  });

  it("refuses a symbolic batch axis where an op reduces over it, naming the op", () => {
    const p = trace({ x: input([4, 3], "float32") }, ({ x }) => ({ s: ops.sum(ops.mul(x, x)) }));
    expect(() => exportOnnx(p, { batchDim: "batch" })).toThrow(ShapeError);
    expect(() => exportOnnx(p, { batchDim: "batch" })).toThrow(/^exportOnnx: batchDim 'batch': the program reduces over the batch axis \(sum %\d+ \[1, 1\]\)/);
  });

  it("maps composites to native ONNX operators, and keeps logsumexp's stable max-shifted form", () => {
    const p = trace({ x: input([3, 6], "float32"), g: param([6], "float32") }, ({ x, g }) => ({
      p: softmax(x, -1),
      n: layerNorm(x, { gamma: g }),
      s: sigmoid(x),
    }));
    const types = opTypes(exportOnnx(p));
    expect(types).toEqual(expect.arrayContaining(["Softmax", "LayerNormalization", "Sigmoid"]));
    expect(types).not.toContain("Exp");
    expect(types).not.toContain("ReduceMax");
    // ReduceLogSumExp need not shift by the maximum (onnxruntime-web's WebGPU kernel overflows
    // near 1000): the export subtracts the max itself, with standard operators.
    const lse = opTypes(exportOnnx(trace({ x: input([3, 6], "float32") }, ({ x }) => ({ l: logsumexp(x, 1) }))));
    expect(lse).not.toContain("ReduceLogSumExp");
    expect(lse).toEqual(expect.arrayContaining(["ReduceMax", "Exp", "ReduceSum", "Log"]));
  });

  it("exports max(x, 0) as Relu and a transpose of size-1 axes as a Reshape, and still matches the reference", async () => {
    const p = trace({ x: input([2, 5, 3], "float32") }, ({ x }) => ({
      r: ops.relu(x),
      t: ops.transpose(ops.sum(x, [2], true), [0, 2, 1]),
      kept: ops.transpose(x, [0, 2, 1]),
    }));
    for (const batchDim of [undefined, "batch"]) {
      const bytes = exportOnnx(p, batchDim ? { batchDim } : {});
      const types = opTypes(bytes);
      expect(types).toContain("Relu");
      expect(types).not.toContain("Max");
      // The 0 that max(x, 0) compared with is read by no node: it is not in the model either.
      const graph = decode(bytes).graph!;
      const read = new Set(graph.node!.flatMap((n) => n.input!));
      expect(graph.initializer!.filter((t) => !read.has(t.name!)).map((t) => t.name)).toEqual([]);
      // [2, 5, 1] -> [2, 1, 5] keeps every element in place; [2, 5, 3] -> [2, 3, 5] moves them.
      expect(types.filter((t) => t === "Transpose")).toHaveLength(1);
      const x = hostTensor(Float32Array.from({ length: 30 }, (_, i) => Math.sin(3 * i)), [2, 5, 3], "float32");
      const session = await ort.InferenceSession.create(bytes);
      const got = await session.run({ x: new ort.Tensor("float32", x.data as Float32Array, [2, 5, 3]) });
      const want = reference(p, { x });
      for (const name of ["r", "t", "kept"]) {
        expect(got[name]!.dims).toEqual(p.nodes[p.outputs.find((o) => o.name === name)!.id]!.shape);
        expect(relErr(got[name]!.data as Float32Array, want.get(name)!)).toBeLessThan(1e-6);
      }
      await session.release();
    }
  });

  it("throws, naming the op, for a construct it cannot lower", () => {
    const p = trace({ x: input([2], "float32") }, ({ x }) => ({ y: ops.exp(x) }));
    const bogus: Program = { ...p, nodes: p.nodes.map((n) => (n.op === "exp" ? ({ ...n, op: "erf" } as unknown as typeof n) : n)) };
    expect(() => exportOnnx(bogus)).toThrow(UnfoldError);
    expect(() => exportOnnx(bogus)).toThrow(/^erf: has no lowering in @unfold\/backend-onnx \(node %\d+\)/);
    expect(() => exportOnnx(p, { opset: 13 })).toThrow(/opset 13/);
  });

  it("reads a model back: opset, nodes by type, declared inputs and outputs, metadata", () => {
    const { program, params, terms } = yangForward(2, [2, 4, 8], "float64");
    const bytes = exportOnnx(program, { params, batchDim: "batch", opset: 19, metadata: { energyTerms: terms, steps: 2, unfoldVersion: "0.3.0" } });
    const summary = inspectOnnx(bytes);
    expect(summary.opset).toBe(19);
    expect(summary.producer).toBe("unfold 0.3.0");
    expect(summary.nodes).toBe(opTypes(bytes).length);
    expect(Object.values(summary.opTypes).reduce((a, b) => a + b, 0)).toBe(summary.nodes);
    expect(summary.opTypes["Softmax"]).toBe(2);
    expect(summary.inputs).toEqual([{ name: "state", dtype: "float64", shape: ["batch", 4, 8] }]);
    expect(summary.outputs).toEqual([{ name: "state.out", dtype: "float64", shape: ["batch", 4, 8] }]);
    expect(summary.initializers).toBeGreaterThanOrEqual(Object.keys(params).length);
    expect(summary.metadata).toEqual({ "unfold.energy_terms": terms.join(","), "unfold.steps": "2", "unfold.version": "0.3.0" });
    expect(summary.bytes).toBe(bytes.byteLength);
  });

  it("renames an output that collides with an input", () => {
    const p = trace({ x: input([2], "float32") }, ({ x }) => ({ x: ops.mul(x, 2), y: x }));
    const names = decode(exportOnnx(p)).graph!.output!.map((o) => o.name);
    expect(names).toEqual(["x.out", "y"]);
  });
});
