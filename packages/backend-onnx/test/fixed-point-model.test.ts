// exportFixedPointModel: inputs -> prologue -> one ONNX Loop to the fixed point -> epilogue, with
// the batch axis symbolic. One exported file, in a fresh onnxruntime-web session, must give the
// logits Unfold computes (prologue, core's solveFixedPoint by plain iteration, epilogue, on the
// ReferenceBackend) at two batch sizes, in the same number of iterations.
import { type DType, Graph, type HostTensor, type Program, type Tensor, ops, relativeError } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { FIXED_POINT_METADATA, FIXED_POINT_OUTPUTS, type FixedPointModelExportOptions, type FixedPointModelParts, exportFixedPointModel, inspectOnnx } from "../src/index.js";
import { CLASSES, DIM, type InFrameworkModel, TOKENS, anchoredYangMap, epilogueProgram, inFrameworkLogits, inputs, prologueProgram, trainedParams } from "./fixed-point-model-fixtures.js";
import { onnx } from "./helpers.js";

const MAX_ITERATIONS = 500;

/** The three parts traced at `batch` examples. */
const partsAt = (batch: number, dtype: DType): FixedPointModelParts => ({ prologue: prologueProgram(batch, dtype), map: anchoredYangMap(batch), epilogue: epilogueProgram(batch, dtype) });

interface ModelRun {
  readonly logits: Float64Array;
  readonly logitDims: readonly number[];
  readonly state: Float64Array;
  readonly iterations: number;
  readonly residual: number;
}

/** Runs one batch through a session of an exported model. */
async function runModel(session: ort.InferenceSession, x: HostTensor, feeds: Readonly<Record<string, HostTensor>> = {}): Promise<ModelRun> {
  const ortFeeds = Object.fromEntries(Object.entries({ x, ...feeds }).map(([name, t]) => [name, new ort.Tensor(t.dtype, t.data as Float32Array | Float64Array, [...t.shape])]));
  const out = await session.run(ortFeeds);
  const floats = (name: string): Float64Array => Float64Array.from(out[name]!.data as Float32Array | Float64Array);
  return {
    logits: floats("logits"),
    logitDims: out["logits"]!.dims,
    state: floats(FIXED_POINT_OUTPUTS.state),
    iterations: Number((out[FIXED_POINT_OUTPUTS.iterations]!.data as BigInt64Array)[0]),
    residual: floats(FIXED_POINT_OUTPUTS.residual)[0]!,
  };
}

/** The last residual is below tol and the one before above it, each by 2% or more: rounding cannot move the stop. */
function expectClearOf(run: InFrameworkModel, tol: number): void {
  expect(run.residuals.at(-2)!).toBeGreaterThan(tol * 1.02);
  expect(run.residual).toBeLessThan(tol * 0.98);
}

const argmaxRows = (logits: ArrayLike<number>): number[] =>
  Array.from({ length: logits.length / CLASSES }, (_, i) => {
    const row = Array.from(logits).slice(i * CLASSES, (i + 1) * CLASSES);
    return row.indexOf(Math.max(...row));
  });

type GraphProto = NonNullable<ReturnType<typeof onnx.ModelProto.decode>["graph"]>;
const opTypesOf = (graph: GraphProto): string[] => (graph.node ?? []).map((node) => node.opType ?? "");

describe("exportFixedPointModel", () => {
  it("gives the in-framework logits at two batch sizes from one file traced at batch 1 (float64), in the same number of iterations", async () => {
    const tol = 1e-9;
    const params = trainedParams("float64");
    const bytes = exportFixedPointModel(partsAt(1, "float64"), { start: "X", tol, maxIterations: MAX_ITERATIONS, params, batchDim: "batch" });
    expect(inspectOnnx(bytes).inputs).toEqual([{ name: "x", dtype: "float64", shape: ["batch", TOKENS, DIM] }]);
    // Basic graph optimizations, as the backend runs float64 (onnxruntime's extended fusions compute in float32 in places).
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "basic" });
    try {
      for (const batch of [3, 5]) {
        const x = inputs(batch, "float64", batch);
        const want = await inFrameworkLogits(x, params, tol, MAX_ITERATIONS);
        expectClearOf(want, tol);
        const got = await runModel(session, x);
        expect(got.logitDims).toEqual([batch, CLASSES]);
        expect(got.iterations, `batch ${batch}`).toBe(want.iterations);
        expect(relativeError(got.logits, want.logits), `batch ${batch}`).toBeLessThan(1e-12);
        expect(relativeError(got.state, want.state), `batch ${batch}`).toBeLessThan(1e-12);
        expect(Math.abs(got.residual - want.residual) / want.residual).toBeLessThan(1e-6);
        console.log(`float64, batch ${batch}: ${got.iterations} iterations (Unfold's plain iteration: ${want.iterations}), logits ${relativeError(got.logits, want.logits).toExponential(1)} from Unfold's`);
      }
    } finally {
      await session.release();
    }
  });

  it("gives the float64 in-framework logits within float32 precision from a float32 export traced at batch 2 (onnxruntime's default options), same count and classes", async () => {
    const tol = 1e-5;
    const bytes = exportFixedPointModel(partsAt(2, "float32"), { start: "X", tol, maxIterations: MAX_ITERATIONS, params: trainedParams("float32"), batchDim: "batch" });
    const session = await ort.InferenceSession.create(bytes);
    try {
      for (const batch of [2, 7]) {
        const x = inputs(batch, "float32", 10 + batch);
        // The reference runs in float64 on the float32 data: what float32 costs is measured, not assumed.
        const want = await inFrameworkLogits(x, trainedParams("float64"), tol, MAX_ITERATIONS);
        expectClearOf(want, tol);
        const got = await runModel(session, x);
        expect(got.iterations, `batch ${batch}`).toBe(want.iterations);
        const error = relativeError(got.logits, want.logits);
        // The loop stops within tol of the fixed point; float32 rounding adds about 1e-7 per operation.
        expect(error, `batch ${batch}`).toBeLessThan(1e-5);
        expect(argmaxRows(got.logits)).toEqual(argmaxRows(want.logits));
        console.log(`float32, batch ${batch}: ${got.iterations} iterations (Unfold's: ${want.iterations}), logits ${error.toExponential(1)} from Unfold's float64`);
      }
    } finally {
      await session.release();
    }
  });

  it("iterates a batch together: the loop runs until the batch's residual, not each example's, is at most tol", async () => {
    const tol = 1e-9;
    const params = trainedParams("float64");
    const bytes = exportFixedPointModel(partsAt(1, "float64"), { start: "X", tol, maxIterations: MAX_ITERATIONS, params, batchDim: "batch" });
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "basic" });
    try {
      const x = inputs(4, "float64", 21);
      const batch = await runModel(session, x);
      const counts: number[] = [];
      for (let i = 0; i < 4; i++) {
        const one = x.data.slice(i * TOKENS * DIM, (i + 1) * TOKENS * DIM);
        const alone = await runModel(session, { data: one, shape: [1, TOKENS, DIM], dtype: "float64" } as HostTensor);
        counts.push(alone.iterations);
        // Each example's fixed point is its own (the layer acts on each example alone), to the tolerance.
        expect(relativeError(alone.logits, batch.logits.slice(i * CLASSES, (i + 1) * CLASSES))).toBeLessThan(1e-7);
      }
      // The examples need different counts alone; together they all run the count of the batch's
      // residual, which is what Unfold's solver (on the whole state) takes for the batch.
      expect(new Set(counts).size).toBeGreaterThan(1);
      const want = await inFrameworkLogits(x, params, tol, MAX_ITERATIONS);
      expectClearOf(want, tol);
      expect(batch.iterations).toBe(want.iterations);
      expect(counts.filter((c) => c !== batch.iterations).length).toBeGreaterThan(0);
      console.log(`batch of 4: ${batch.iterations} iterations together; alone: ${counts.join(", ")}`);
    } finally {
      await session.release();
    }
  });

  it("is one Loop between the prologue and the epilogue, the same graph for maxIterations 10 and 1000", () => {
    const decode = (maxIterations: number): GraphProto =>
      onnx.ModelProto.decode(exportFixedPointModel(partsAt(1, "float32"), { start: "X", tol: 1e-4, maxIterations, params: trainedParams("float32"), batchDim: "batch" })).graph! as GraphProto;
    const small = decode(10);
    const large = decode(1000);
    expect(opTypesOf(small).filter((t) => t === "Loop")).toHaveLength(1);
    expect(opTypesOf(large)).toEqual(opTypesOf(small));
    const loopIndex = opTypesOf(small).indexOf("Loop");
    // The prologue's MatMul and ReLU come before the Loop, the epilogue's MatMul and ReduceSum after it.
    expect(opTypesOf(small).slice(0, loopIndex)).toEqual(expect.arrayContaining(["MatMul", "Relu"]));
    expect(opTypesOf(small).slice(loopIndex + 1)).toEqual(expect.arrayContaining(["MatMul", "ReduceSum"]));
    const body = small.node!.find((node) => node.opType === "Loop")!.attribute!.find((a) => a.name === "body")!.g! as GraphProto;
    expect(opTypesOf(body)).not.toContain("Loop");
    // The body's iterate carries the symbolic batch axis.
    const stateIn = body.input![2]!;
    expect(stateIn.type!.tensorType!.shape!.dim!.map((dim) => dim.dimParam || Number(dim.dimValue))).toEqual(["batch", TOKENS, DIM]);
  });

  it("without batchDim, exports at the traced batch with fixed shapes; unbaked parameters stay graph inputs", async () => {
    const tol = 1e-9;
    const params = trainedParams("float64");
    const bytes = exportFixedPointModel(partsAt(3, "float64"), { start: "X", tol, maxIterations: MAX_ITERATIONS });
    const summary = inspectOnnx(bytes);
    expect(summary.inputs.map((i) => i.name)).toEqual(["x", "embed.W", "layer.Wa", "layer.Wf", "layer.b", "head.W"]);
    expect(summary.inputs[0]!.shape).toEqual([3, TOKENS, DIM]);
    expect(summary.outputs.map((o) => [o.name, o.shape])).toEqual([
      ["logits", [3, CLASSES]],
      ["state.out", [3, TOKENS, DIM]],
      ["iterations", []],
      ["residual", []],
    ]);
    expect(summary.metadata[FIXED_POINT_METADATA.kind]).toBe("loop");
    expect(summary.metadata[FIXED_POINT_METADATA.tol]).toBe(String(tol));
    expect(summary.metadata[FIXED_POINT_METADATA.maxIterations]).toBe(String(MAX_ITERATIONS));
    expect(summary.metadata["unfold.energy_terms"]).toBe("attention,feedForward,anchor");
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "basic" });
    try {
      const x = inputs(3, "float64", 3);
      const got = await runModel(session, x, params);
      const want = await inFrameworkLogits(x, params, tol, MAX_ITERATIONS);
      expect(got.iterations).toBe(want.iterations);
      expect(relativeError(got.logits, want.logits)).toBeLessThan(1e-12);
    } finally {
      await session.release();
    }
  });

  it("refuses parts and options that do not fit together, naming each", () => {
    const parts = partsAt(1, "float64");
    const base: FixedPointModelExportOptions = { start: "X", tol: 1e-6, maxIterations: 100 };
    const bad = (patch: Record<string, unknown>, partsPatch: Partial<Record<keyof FixedPointModelParts, unknown>> = {}) => () =>
      exportFixedPointModel({ ...parts, ...partsPatch } as FixedPointModelParts, { ...base, ...patch } as unknown as FixedPointModelExportOptions);
    const E = "exportFixedPointModel: ";
    expect(bad({ start: "Y" })).toThrow(`${E}start 'Y' is not an output of the prologue; its outputs are: Wa, Wf, b, X`);
    expect(bad({ start: undefined })).toThrow(`${E}start must be a non-empty string, got undefined`);
    expect(bad({ tol: 0 })).toThrow(`${E}tol must be a positive finite number, got 0`);
    expect(bad({ maxIterations: 1.5 })).toThrow(`${E}maxIterations must be an integer >= 1, got 1.5`);
    expect(bad({ shape: [1] })).toThrow(`${E}unknown option 'shape' in options (known: start, stateFeed, tol, maxIterations, params, batchDim, opset, metadata, graphName)`);
    expect(bad({ stateFeed: "fixedPoint" })).toThrow(`${E}the epilogue has no input 'fixedPoint' for the fixed point (stateFeed); its inputs are: state`);
    expect(bad({ params: { "head.V": trainedParams("float64")["head.W"] } })).toThrow(`${E}'head.V' is not a parameter of the program; its parameters are: embed.W, layer.Wa, layer.Wf, layer.b, head.W`);
    expect(bad({ metadata: { extra: { [FIXED_POINT_METADATA.tol]: "1" } } })).toThrow(`${E}metadata.extra key 'unfold.fixed_point.tol' is the model's own (the fixed point's settings); choose another key`);
    expect(bad({}, { map: anchoredYangMap(2) })).toThrow(`${E}the prologue's output 'X' has shape [1, 3, 4], the map's parameter expects [2, 3, 4]`);
    expect(bad({}, { epilogue: epilogueProgram(2, "float64") })).toThrow(`${E}the epilogue's state feed 'state' is float64 [2, 3, 4], the state (the prologue's start) is float64 [1, 3, 4]`);
    expect(bad({}, { epilogue: epilogueProgram(1, "float32") })).toThrow(`${E}the epilogue's state feed 'state' is float32 [1, 3, 4], the state (the prologue's start) is float64 [1, 3, 4]`);
    expect(bad({}, { map: { energy: {} } })).toThrow(`${E}parts.map must be a layer map (layerMap), got an object with key energy`);
    expect(bad({}, { prologue: undefined })).toThrow(`${E}parts.prologue must be a program (graph.toProgram), got undefined`);
    expect(bad({}, { prologue: withoutOutput(parts.prologue, "b") })).toThrow(`${E}the map's parameter 'b' (energy 'yang-anchored') is not an output of the prologue; its outputs are: Wa, Wf, X`);
    expect(bad({}, { epilogue: epilogueWith((g) => ({ extra: g.leaf("input", "mask", [1, TOKENS], "float64") })) })).toThrow(
      `${E}the epilogue's input 'mask' is not an input of the prologue; the epilogue reads the fixed point ('state'), the prologue's inputs and parameters`,
    );
    expect(bad({}, { epilogue: epilogueWith((_g, state) => ({ iterations: ops.sum(state) })) })).toThrow(
      `${E}the epilogue's output 'iterations' is one of the model's own outputs (state.out, iterations, residual); rename it`,
    );
    expect(bad({}, { epilogue: epilogueWith((g) => ({ extra: g.leaf("param", "embed.W", [DIM, 1], "float64") })) })).toThrow(
      `${E}feed 'embed.W' is param float64 [4, 4] in the prologue but param float64 [4, 1] in the epilogue`,
    );
    expect(bad({}, { epilogue: epilogueWith((_g, state) => ({ x: ops.sum(state) })) })).toThrow(`${E}output 'x' has the name of a feed; rename the epilogue's output or the feed`);
    expect(bad({ stateFeed: "x" }, { epilogue: epilogueReading("x") })).toThrow(`${E}the prologue has a feed named 'x', the epilogue's state feed; rename one of them`);
    // A starting state computed from no input cannot carry the batch axis.
    expect(bad({ batchDim: "batch" }, { prologue: fixedStartPrologue() })).toThrow(
      `${E}batchDim 'batch': the starting state 'X' does not carry the batch axis (it is computed from no batched input), so the loop cannot iterate a batch`,
    );
  });
});

/** The prologue without one of its outputs. */
function withoutOutput(program: Program, name: string): Program {
  return { ...program, outputs: program.outputs.filter((o) => o.name !== name) };
}

/** The fixture's epilogue with further outputs. */
function epilogueWith(extra: (graph: Graph, state: Tensor) => Record<string, Tensor>): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", [1, TOKENS, DIM], "float64");
  const w = graph.leaf("param", "head.W", [DIM, CLASSES], "float64");
  return graph.toProgram({ logits: ops.sum(ops.matmul(state, w), 1), ...extra(graph, state) });
}

/** The fixture's epilogue with its state feed named `name`. */
function epilogueReading(name: string): Program {
  const graph = new Graph();
  const state = graph.leaf("input", name, [1, TOKENS, DIM], "float64");
  const w = graph.leaf("param", "head.W", [DIM, CLASSES], "float64");
  return graph.toProgram({ logits: ops.sum(ops.matmul(state, w), 1) });
}

/** A prologue whose starting state comes from a parameter, not from the input x. */
function fixedStartPrologue(): Program {
  const graph = new Graph();
  const x = graph.leaf("input", "x", [1, TOKENS, DIM], "float64");
  const p = (name: string, shape: number[]) => graph.leaf("param", name, shape, "float64");
  return graph.toProgram({ Wa: p("layer.Wa", [1, DIM, DIM]), Wf: p("layer.Wf", [DIM, DIM]), b: p("layer.b", [DIM]), X: ops.relu(p("X0", [1, TOKENS, DIM])), seen: ops.sum(x, [1, 2]) });
}
