// exportFixedPoint: a fixed-point model as one ONNX Loop. A fresh onnxruntime-web session runs the
// exported model and must land on the fixed point Unfold computes by iterating layerMapProgram on
// the ReferenceBackend with the same stopping rule, in the same number of iterations; the graph
// holds one Loop whose body is one layer, whatever maxIterations is.
import { type DType, type HostTensor, type LayerMap, Random, defineUnfolding, hostTensor, layerMap, relativeError, unfoldedProgram } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { FIXED_POINT_METADATA, FIXED_POINT_OUTPUTS, type FixedPointExportOptions, exportFixedPoint, exportOnnx, inspectOnnx } from "../src/index.js";
import { type InFrameworkFixedPoint, d, inFrameworkFixedPoint, n, quadratic, quadraticMap, quadraticProblem } from "./fixed-point-fixtures.js";
import { onnx } from "./helpers.js";

/** Eigenvalues of A: with step size 0.2, T = I - 0.2 A contracts by q = max |1 - 0.2 eig| = 0.9. */
const EIGS = [0.5, 1, 2, 4];
const STEP = 0.2;
const Q = 0.9;

interface LoopResult {
  readonly state: Float64Array;
  readonly dims: readonly number[];
  readonly iterations: number;
  readonly residual: number;
}

/**
 * Runs an exported model in a fresh onnxruntime-web session: default options (as any user would)
 * unless `basic` asks for basic graph optimizations only, as the backend runs float64 programs.
 */
async function runLoop(bytes: Uint8Array, feeds: Readonly<Record<string, HostTensor>>, basic = false): Promise<LoopResult> {
  const session = await ort.InferenceSession.create(bytes, basic ? { graphOptimizationLevel: "basic" } : {});
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.dtype, t.data as Float32Array | Float64Array, [...t.shape])]));
    const out = await session.run(ortFeeds);
    const state = out[FIXED_POINT_OUTPUTS.state]!;
    const iterations = out[FIXED_POINT_OUTPUTS.iterations]!;
    expect(iterations.type).toBe("int64");
    return {
      state: Float64Array.from(state.data as Float32Array | Float64Array),
      dims: state.dims,
      iterations: Number((iterations.data as BigInt64Array)[0]),
      residual: Number((out[FIXED_POINT_OUTPUTS.residual]!.data as Float32Array | Float64Array)[0]),
    };
  } finally {
    await session.release();
  }
}

/** The last residual is below tol and the one before above it, each by 2% or more. */
function expectClearOf(run: InFrameworkFixedPoint, tol: number): void {
  expect(run.residuals.at(-2)!).toBeGreaterThan(tol * 1.02);
  expect(run.residual).toBeLessThan(tol * 0.98);
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const distance = (a: ArrayLike<number>, b: ArrayLike<number>): number => norm(Array.from(a, (x, i) => x - b[i]!));

type Graph = NonNullable<ReturnType<typeof onnx.ModelProto.decode>["graph"]>;
const opTypesOf = (graph: Graph): string[] => (graph.node ?? []).map((node) => node.opType ?? "");
/** The body of the (single) Loop node of the main graph. */
const loopBody = (graph: Graph): Graph => graph.node!.find((node) => node.opType === "Loop")!.attribute!.find((a) => a.name === "body")!.g! as Graph;

/** A small tied Yang layer (attention MM step, then the ReLU feed-forward step) and its feeds. */
function yangProblem(dtype: DType): { map: LayerMap; state: HostTensor; params: Record<string, HostTensor> } {
  const dim = 8;
  const energy = yangEnergy({ dim });
  const params = initYangParams({ dim }, { seed: 3, dtype });
  const steps = yangLayerSteps(energy, { attentionStepSize: 0.5, feedForwardStepSize: safeFeedForwardStepSize(params, dim) });
  const map = layerMap(defineUnfolding({ energy, steps, layers: 1, tiedWeights: true }));
  const rng = new Random(5);
  const state = hostTensor(Float64Array.from({ length: 2 * 5 * dim }, () => Math.abs(rng.normal())), [2, 5, dim], dtype);
  return { map, state, params };
}

describe("exportFixedPoint", () => {
  it("runs the quadratic's gradient step to the in-framework fixed point, in the same number of iterations (float64)", async () => {
    const { params, state, minimiser } = quadraticProblem(1, EIGS, "float64");
    const map = quadraticMap(STEP);
    const tol = 1e-8;
    const want = await inFrameworkFixedPoint(map, state, params, tol, 1000);
    // Not a borderline case: the last two residuals are clear of tol on either side, so rounding
    // differences between the two runtimes cannot move the stop by one.
    expectClearOf(want, tol);
    const got = await runLoop(exportFixedPoint(map, { shape: [n, d], dtype: "float64", tol, maxIterations: 1000 }), { state, ...params });
    expect(got.dims).toEqual([n, d]);
    expect(got.iterations).toBe(want.iterations);
    expect(relativeError(got.state, want.state)).toBeLessThan(1e-12);
    expect(Math.abs(got.residual - want.residual) / want.residual).toBeLessThan(1e-6);
    expect(got.residual).toBeLessThanOrEqual(tol);
    // T contracts by Q, so the last iterate is within Q/(1-Q) of its last step of the minimiser A^-1 B.
    const lastStep = (tol * norm(got.state)) / (1 - tol);
    expect(distance(got.state, minimiser)).toBeLessThanOrEqual((Q / (1 - Q)) * lastStep);
  });

  it("matches in float32 to the tolerance's precision, with the same count in a case clear of the threshold", async () => {
    // Seed 3: the residual crosses 1e-4 between 1.07 tol and 0.97 tol (seed 1 stops at 0.9987 tol,
    // where float32 rounding could move the stop by one).
    const { params, state, minimiser } = quadraticProblem(3, EIGS, "float32");
    const map = quadraticMap(STEP);
    const tol = 1e-4;
    const want = await inFrameworkFixedPoint(map, state, params, tol, 1000);
    expectClearOf(want, tol);
    const got = await runLoop(exportFixedPoint(map, { shape: [n, d], dtype: "float32", tol, maxIterations: 1000 }), { state, ...params });
    expect(got.iterations).toBe(want.iterations);
    expect(relativeError(got.state, want.state)).toBeLessThan(tol);
    expect(got.residual).toBeLessThanOrEqual(tol);
    expect(distance(got.state, minimiser)).toBeLessThanOrEqual((Q / (1 - Q)) * tol * norm(got.state) * 1.01);
  });

  it("converges on a tied Yang layer (softmax attention, ReLU feed-forward) as Unfold does", async () => {
    // float64 with basic graph optimizations (as the backend runs float64), float64 with
    // onnxruntime's defaults (its extended fusions compute in float32 in places: about 1e-7 off),
    // and float32.
    const cases = [
      { dtype: "float64", tol: 1e-9, basic: true, precision: 1e-12 },
      { dtype: "float64", tol: 1e-9, basic: false, precision: 1e-6 },
      { dtype: "float32", tol: 1e-5, basic: false, precision: 1e-5 },
    ] as const;
    for (const { dtype, tol, basic, precision } of cases) {
      const label = `${dtype}${basic ? " basic" : ""}`;
      const { map, state, params } = yangProblem(dtype);
      const want = await inFrameworkFixedPoint(map, state, params, tol, 500);
      expectClearOf(want, tol);
      const got = await runLoop(exportFixedPoint(map, { shape: state.shape, dtype, tol, maxIterations: 500 }), { state, ...params }, basic);
      expect(got.iterations, label).toBe(want.iterations);
      expect(relativeError(got.state, want.state), label).toBeLessThan(precision);
      expect(got.residual, label).toBeLessThanOrEqual(tol);
    }
  });

  it("stops at maxIterations with the count and a residual above tol when it has not converged, and at once on a NaN", async () => {
    const { params, state } = quadraticProblem(2, EIGS, "float64");
    const map = quadraticMap(STEP);
    const got = await runLoop(exportFixedPoint(map, { shape: [n, d], dtype: "float64", tol: 1e-8, maxIterations: 5 }), { state, ...params });
    const want = await inFrameworkFixedPoint(map, state, params, 1e-8, 5);
    expect(got.iterations).toBe(5);
    expect(got.residual).toBeGreaterThan(1e-8);
    expect(got.residual).toBeCloseTo(want.residual, 12);
    expect(relativeError(got.state, want.state)).toBeLessThan(1e-12);
    // A NaN state stops the loop at once, with a NaN residual: not converged, and not run to the limit.
    const nan = hostTensor(Float64Array.from(state.data, (v, i) => (i === 0 ? Number.NaN : v)), [n, d]);
    const poisoned = await runLoop(exportFixedPoint(map, { shape: [n, d], dtype: "float64", tol: 1e-8, maxIterations: 1000 }), { state: nan, ...params });
    expect(poisoned.iterations).toBe(1);
    expect(poisoned.residual).toBeNaN();
  });

  it("stops after one application with a zero residual at the fixed point 0, and goes on from 0 when T(0) != 0", async () => {
    const { params } = quadraticProblem(3, EIGS, "float64");
    const zeros = { A: params["A"]!, B: hostTensor(new Float64Array(n * d), [n, d]) };
    const got = await runLoop(exportFixedPoint(quadraticMap(STEP), { shape: [n, d], dtype: "float64", tol: 1e-8, maxIterations: 100 }), {
      state: hostTensor(new Float64Array(n * d), [n, d]),
      ...zeros,
    });
    expect(got.iterations).toBe(1);
    expect(got.residual).toBe(0);
    expect(Array.from(got.state)).toEqual(new Array(n * d).fill(0));
    // From 0 with T(0) != 0 the first residual is +inf: the loop goes on, as Unfold's does.
    const start = hostTensor(new Float64Array(n * d), [n, d]);
    const want = await inFrameworkFixedPoint(quadraticMap(STEP), start, params, 1e-8, 1000);
    expect(want.residuals[0]).toBe(Number.POSITIVE_INFINITY);
    const fromZero = await runLoop(exportFixedPoint(quadraticMap(STEP), { shape: [n, d], dtype: "float64", tol: 1e-8, maxIterations: 1000 }), { state: start, ...params });
    expect(fromZero.iterations).toBe(want.iterations);
    expect(fromZero.residual).toBeLessThanOrEqual(1e-8);
  });

  it("bakes given parameters in, read by the loop body from the enclosing graph, with the same result", async () => {
    const { params, state } = quadraticProblem(4, EIGS, "float64");
    const map = quadraticMap(STEP);
    const options: FixedPointExportOptions = { shape: [n, d], dtype: "float64", tol: 1e-8, maxIterations: 1000 };
    const baked = exportFixedPoint(map, { ...options, params });
    expect(inspectOnnx(baked).inputs.map((i) => i.name)).toEqual(["state"]);
    const open = exportFixedPoint(map, options);
    expect(inspectOnnx(open).inputs.map((i) => i.name)).toEqual(["state", "A", "B"]);
    const fromBaked = await runLoop(baked, { state });
    const fromOpen = await runLoop(open, { state, ...params });
    expect(fromBaked.iterations).toBe(fromOpen.iterations);
    expect(Array.from(fromBaked.state)).toEqual(Array.from(fromOpen.state));
  });

  it("is one Loop whose body is one layer: the graph does not grow with maxIterations", () => {
    const map = quadraticMap(STEP);
    const decode = (maxIterations: number): Graph => onnx.ModelProto.decode(exportFixedPoint(map, { shape: [n, d], dtype: "float32", tol: 1e-4, maxIterations })).graph! as Graph;
    const small = decode(10);
    const large = decode(1000);
    expect(opTypesOf(small).sort()).toEqual(["Identity", "Identity", "Identity", "Loop"]);
    expect(opTypesOf(large).sort()).toEqual(opTypesOf(small).sort());
    const body = loopBody(small);
    expect(opTypesOf(loopBody(large))).toEqual(opTypesOf(body));
    expect(opTypesOf(body)).not.toContain("Loop");
    // The body holds one layer's work: as many MatMuls as one exported layer, not one per iteration.
    const oneLayer = onnx.ModelProto.decode(exportOnnx(unfoldedProgram(map.unfolding, [n, d], "float32"))).graph! as Graph;
    const matmuls = (g: Graph): number => opTypesOf(g).filter((t) => t === "MatMul").length;
    expect(matmuls(body)).toBeGreaterThan(0);
    expect(matmuls(body)).toBe(matmuls(oneLayer));
    // The trip count is a value of the model, not its structure.
    const trips = (g: Graph): number => Number(g.initializer!.find((t) => t.name === g.node!.find((x) => x.opType === "Loop")!.input![0])!.int64Data![0]);
    expect([trips(small), trips(large)]).toEqual([10, 1000]);
  });

  it("accepts a tied unfolding as well as its layer map, and records that it is a fixed-point model", () => {
    const unfolding = defineUnfolding({ energy: quadratic, steps: quadraticMap(STEP).steps, layers: 3, tiedWeights: true });
    const options: FixedPointExportOptions = { shape: [n, d], dtype: "float64", tol: 1e-6, maxIterations: 250, metadata: { unfoldVersion: "0.3.0", extra: { note: "x" } } };
    const bytes = exportFixedPoint(unfolding, options);
    expect(bytes).toEqual(exportFixedPoint(layerMap(unfolding), options));
    const summary = inspectOnnx(bytes);
    expect(summary.metadata).toEqual({
      "unfold.energy_terms": "quadratic,linear",
      "unfold.version": "0.3.0",
      note: "x",
      [FIXED_POINT_METADATA.kind]: "loop",
      [FIXED_POINT_METADATA.tol]: "0.000001",
      [FIXED_POINT_METADATA.maxIterations]: "250",
    });
    expect(summary.producer).toBe("unfold 0.3.0");
    expect(summary.outputs).toEqual([
      { name: "state.out", dtype: "float64", shape: [n, d] },
      { name: "iterations", dtype: "other", shape: [] },
      { name: "residual", dtype: "float64", shape: [] },
    ]);
  });

  it("refuses bad options, naming each", () => {
    const map = quadraticMap(STEP);
    const base: FixedPointExportOptions = { shape: [n, d], dtype: "float64", tol: 1e-6, maxIterations: 100 };
    const bad = (patch: Record<string, unknown>, model: Parameters<typeof exportFixedPoint>[0] = map) => () =>
      exportFixedPoint(model, { ...base, ...patch } as unknown as FixedPointExportOptions);
    expect(bad({ tol: 0 })).toThrow("exportFixedPoint: tol must be a positive finite number, got 0");
    expect(bad({ tol: -1e-6 })).toThrow("exportFixedPoint: tol must be a positive finite number, got -0.000001");
    expect(bad({ tol: Number.NaN })).toThrow("exportFixedPoint: tol must be a positive finite number, got NaN");
    expect(bad({ tol: "1e-6" })).toThrow("exportFixedPoint: tol must be a positive finite number, got '1e-6' (a string)");
    expect(bad({ maxIterations: 0 })).toThrow("exportFixedPoint: maxIterations must be an integer >= 1, got 0");
    expect(bad({ maxIterations: 2.5 })).toThrow("exportFixedPoint: maxIterations must be an integer >= 1, got 2.5");
    expect(bad({ maxIterations: 2 ** 60 })).toThrow(`exportFixedPoint: maxIterations must be at most ${Number.MAX_SAFE_INTEGER}, got ${2 ** 60}`);
    expect(bad({ tolerance: 1e-6 })).toThrow("exportFixedPoint: unknown option 'tolerance' in options (known: shape, dtype, tol, maxIterations, params, opset, metadata, graphName)");
    expect(bad({ shape: [n, 0] })).toThrow("exportFixedPoint: shape must be an array of positive integers, got an array of 2 elements [4, 0]");
    expect(bad({ dtype: "float16" })).toThrow("exportFixedPoint: dtype must be one of 'float32', 'float64', got 'float16' (a string)");
    expect(bad({ opset: 13 })).toThrow("exportFixedPoint: opset 13 is not supported; choose 17 to 21");
    expect(bad({ params: { state: hostTensor(new Float64Array(n * d), [n, d]) } })).toThrow("exportFixedPoint: 'state' is not a parameter of the program; its parameters are: A, B");
    expect(bad({ params: { A: hostTensor(new Float64Array(9), [3, 3]) } })).toThrow("exportFixedPoint: parameter 'A' has shape [3, 3], the program expects [4, 4]");
    expect(bad({ metadata: { steps: 3 } })).toThrow("exportFixedPoint: unknown option 'steps' in metadata (known: energyTerms, unfoldVersion, extra)");
    expect(bad({ metadata: { extra: { "unfold.fixed_point.tol": "1" } } })).toThrow(
      "exportFixedPoint: metadata.extra key 'unfold.fixed_point.tol' is the model's own (the fixed point's settings); choose another key",
    );
    expect(bad({ graphName: "" })).toThrow("exportFixedPoint: graphName must be a non-empty string, got '' (a string)");
    expect(bad({}, { energy: quadratic } as unknown as LayerMap)).toThrow(
      "exportFixedPoint: the model must be a layer map (layerMap) or an unfolding (defineUnfolding), got an object with key energy",
    );
    const untied = defineUnfolding({ energy: quadratic, steps: map.steps, layers: 3, tiedWeights: false });
    expect(bad({}, untied)).toThrow(
      "exportFixedPoint: a fixed point needs one layer map, but the unfolding of energy 'quadratic' has untied weights (one parameter set per layer); define it with tiedWeights: true",
    );
    const varying = defineUnfolding({ energy: quadratic, steps: map.steps, layers: 3, tiedWeights: true, stepSizes: { gd: [0.2, 0.2, 0.1] } });
    expect(bad({}, varying)).toThrow("exportFixedPoint: a fixed point needs one layer map, but step 'gd' has size 0.2 at layer 1 and 0.1 at layer 3; give it one size for every layer");
  });
});
