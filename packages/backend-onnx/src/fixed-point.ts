// A fixed-point model as one ONNX Loop: the layer map T applied until the relative residual
// ||T(Y) - Y|| / ||Y|| falls to the tolerance, in any ONNX runtime, with a graph whose size does
// not depend on maxIterations. See docs/fixed-points.md, section 5.
import {
  type DType,
  type HostTensor,
  LAYER_MAP_OUTPUTS,
  type LayerMap,
  type Program,
  type Shape,
  UnfoldError,
  type Unfolding,
  describeValue,
  layerMap,
  layerMapProgram,
  optimize,
  requireInteger,
  requireName,
  requireOneOf,
  requireOptions,
  requirePositive,
  splitLongSums,
} from "@unfold/core";
import { MAX_OPSET, MIN_OPSET, type ModelMetadata, checkParams, metadataEntries } from "./export.js";
import { lowerProgram } from "./lower/program.js";
import { DEFAULT_OPSET, GraphBuilder } from "./model/graph-builder.js";
import type { GraphProto } from "./model/proto.js";

/** What a fixed-point model records about where it came from; `energyTerms` defaults to the energy's terms. */
export type FixedPointMetadata = Omit<ModelMetadata, "steps">;

/** Options of `exportFixedPoint`: the state's shape and dtype, the stopping rule, and what exportOnnx also takes. */
export interface FixedPointExportOptions {
  /** The state's shape (the graph input `state` and the output `state.out`). */
  readonly shape: Shape;
  readonly dtype: DType;
  /** The loop stops once the relative residual ||T(Y) - Y|| / ||Y|| is at most tol (above zero). */
  readonly tol: number;
  /** The loop stops after this many applications of T if it has not converged (an integer >= 1). */
  readonly maxIterations: number;
  /** Parameter values to bake in as initializers; parameters not given stay graph inputs. */
  readonly params?: Readonly<Record<string, HostTensor>>;
  /** The ONNX opset to target, 17 to 21 (default 18). */
  readonly opset?: number;
  /** What to record about where the model came from (the fixed-point keys are added to it). */
  readonly metadata?: FixedPointMetadata;
  /** The graph's name (default "unfold"). */
  readonly graphName?: string;
}

/** Graph output names of an exported fixed-point model. */
export const FIXED_POINT_OUTPUTS = {
  /** The last iterate T(Y): the fixed point when the loop converged (the state's shape and dtype). */
  state: "state.out",
  /** How many times T was applied, an int64 scalar from 1 to maxIterations. */
  iterations: "iterations",
  /** ||T(Y) - Y|| / ||Y|| of the last application (0 when T(Y) = Y = 0), a scalar of the state's dtype. */
  residual: "residual",
} as const;

/** Metadata keys a fixed-point model carries beside exportOnnx's. */
export const FIXED_POINT_METADATA = {
  /** "loop": the model iterates one layer to convergence in an ONNX Loop. */
  kind: "unfold.fixed_point",
  /** The tolerance, as given (a float32 model compares with it rounded to float32). */
  tol: "unfold.fixed_point.tol",
  /** The loop's trip count. */
  maxIterations: "unfold.fixed_point.max_iterations",
} as const;

const OP = "exportFixedPoint";
const OPTIONS = ["shape", "dtype", "tol", "maxIterations", "params", "opset", "metadata", "graphName"];
const METADATA_OPTIONS = ["energyTerms", "unfoldVersion", "extra"];
const STATE = "state";

/**
 * Exports a fixed-point model as ONNX bytes: graph inputs `state` (the initial iterate) and the
 * parameters not baked in; outputs FIXED_POINT_OUTPUTS. The main graph is one Loop (and an
 * Identity per output); its body applies the layer map once, lowered from `layerMapProgram` as
 * exportOnnx lowers any program, and carries the iterate, the count and the residual. Takes a
 * layer map or a tied unfolding (refused as `layerMap` refuses it otherwise).
 */
export function exportFixedPoint(model: LayerMap | Unfolding, options: FixedPointExportOptions): Uint8Array {
  const o = checkOptions(options);
  const map = isLayerMap(model) ? model : layerMap(checkUnfolding(model), OP);
  const full = layerMapProgram(map, o.shape, o.dtype);
  // The loop needs T(Y) and the two squared norms only: the energy is not computed per iteration.
  const wanted: readonly string[] = [LAYER_MAP_OUTPUTS.next, LAYER_MAP_OUTPUTS.residualSq, LAYER_MAP_OUTPUTS.stateSq];
  const program: Program = { ...full, outputs: full.outputs.filter((out) => wanted.includes(out.name)) };
  checkParams(program, o.params, OP);
  // As exportOnnx: core's passes, then long float32 sums split as the backend runs them.
  const lowered = splitLongSums(optimize(program));

  const graph = new GraphBuilder(o.opset, [...program.feeds.map((f) => f.name), ...Object.values(FIXED_POINT_OUTPUTS)]);
  for (const f of program.feeds) {
    const given = o.params[f.name];
    if (given) graph.initializer(f.name, f.dtype, f.shape, given.data);
    else graph.input(f.name, f.dtype, f.shape);
  }
  const body = loopBody(graph, lowered, o);
  const trips = graph.scalar("int64", o.maxIterations, "max_iterations");
  // T(Y) must be applied once before the residual of Y is known: the loop starts by running.
  const first = graph.scalar("bool", true, "keep_going");
  const noIterations = graph.scalar("int64", 0, "no_iterations");
  const unknownResidual = graph.floats(o.dtype, [], [Number.POSITIVE_INFINITY], "residual_unknown");
  const finals = [graph.fresh("fixed_point"), graph.fresh("iterations"), graph.fresh("residual")] as const;
  graph.node("Loop", [trips, first, STATE, noIterations, unknownResidual], finals, { body: { graph: body } });
  graph.output(finals[0], FIXED_POINT_OUTPUTS.state, o.dtype, o.shape);
  graph.output(finals[1], FIXED_POINT_OUTPUTS.iterations, "int64", []);
  graph.output(finals[2], FIXED_POINT_OUTPUTS.residual, o.dtype, []);

  const metadata = metadataEntries({ energyTerms: map.energy.terms.map((t) => t.name), ...o.metadata });
  metadata.set(FIXED_POINT_METADATA.kind, "loop");
  metadata.set(FIXED_POINT_METADATA.tol, String(o.tol));
  metadata.set(FIXED_POINT_METADATA.maxIterations, String(o.maxIterations));
  return graph.encode({
    graphName: o.graphName,
    opset: o.opset,
    ...(o.metadata.unfoldVersion !== undefined ? { producerVersion: o.metadata.unfoldVersion } : {}),
    metadata,
  });
}

/**
 * The Loop's body: (iteration, condition, Y, count, residual) -> (condition, T(Y), count,
 * residual). The layer's parameters are read from the enclosing graph by name.
 */
function loopBody(graph: GraphBuilder, program: Program, o: CheckedOptions): GraphProto {
  const body = graph.subgraph();
  const iteration = body.input(body.fresh("iteration"), "int64", []);
  body.input(body.fresh("condition_in"), "bool", []);
  const state = body.input(body.fresh("state_in"), o.dtype, o.shape);
  body.input(body.fresh("iterations_in"), "int64", []);
  body.input(body.fresh("residual_in"), o.dtype, []);
  const feeds = new Map(program.feeds.map((f) => [f.name, f.name === STATE ? state : f.name]));
  const values = lowerProgram(program, body, { feeds, batched: new Uint8Array(program.nodes.length) });
  const output = (name: string): string => values.get(program.outputs.find((out) => out.name === name)!.id)!;

  // The relative residual ||T(Y) - Y|| / ||Y|| as Unfold's forward solvers compute it: the root of
  // the ratio of the squares, and 0 when T(Y) = Y (0 at Y = 0 too, where the ratio is 0/0).
  const residualSq = output(LAYER_MAP_OUTPUTS.residualSq);
  const zero = body.floats(o.dtype, [], [0], "zero");
  const ratio = body.op("Sqrt", [body.op("Div", [residualSq, output(LAYER_MAP_OUTPUTS.stateSq)])]);
  const residual = body.op("Where", [body.op("Equal", [residualSq, zero]), zero, ratio]);
  // Go on while the residual is above tol. A NaN compares false: it stops the loop (with a NaN
  // residual) rather than spinning to maxIterations; Y = 0 with T(0) != 0 gives +inf and goes on.
  const goOn = body.op("Greater", [residual, body.floats(o.dtype, [], [o.tol], "tol")]);
  const count = body.op("Add", [iteration, body.scalar("int64", 1, "one")]);
  body.output(goOn, body.fresh("condition_out"), "bool", []);
  body.output(output(LAYER_MAP_OUTPUTS.next), body.fresh("state_out"), o.dtype, o.shape);
  body.output(count, body.fresh("iterations_out"), "int64", []);
  body.output(residual, body.fresh("residual_out"), o.dtype, []);
  return body.toGraph("layer");
}

function isLayerMap(model: LayerMap | Unfolding): model is LayerMap {
  return typeof model === "object" && model !== null && "stepSizes" in model && "unfolding" in model;
}

/** An unfolding from defineUnfolding (anything else would fail inside layerMap with a misleading message). */
function checkUnfolding(model: unknown): Unfolding {
  const candidate = model as Partial<Unfolding> | null;
  if (typeof model !== "object" || candidate === null || typeof candidate.stepSize !== "function" || !Array.isArray(candidate.steps) || typeof candidate.tiedWeights !== "boolean") {
    throw new UnfoldError(OP, `the model must be a layer map (layerMap) or an unfolding (defineUnfolding), got ${describeValue(model)}`);
  }
  return model as Unfolding;
}

interface CheckedOptions {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly tol: number;
  readonly maxIterations: number;
  readonly params: Readonly<Record<string, HostTensor>>;
  readonly opset: number;
  readonly metadata: FixedPointMetadata;
  readonly graphName: string;
}

function checkOptions(options: FixedPointExportOptions): CheckedOptions {
  requireOptions(OP, "options", options, OPTIONS);
  const { shape } = options;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new UnfoldError(OP, `shape must be an array of positive integers, got ${describeValue(shape)}${Array.isArray(shape) ? ` [${shape.join(", ")}]` : ""}`);
  }
  const dtype = requireOneOf(OP, "dtype", options.dtype, ["float32", "float64"] as const);
  const tol = requirePositive(OP, "tol", options.tol);
  const maxIterations = requireInteger(OP, "maxIterations", options.maxIterations, 1);
  // The trip count is an int64 in the model, written from a double: beyond 2^53 it would not be the number given.
  if (maxIterations > Number.MAX_SAFE_INTEGER) throw new UnfoldError(OP, `maxIterations must be at most ${Number.MAX_SAFE_INTEGER}, got ${maxIterations}`);
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UnfoldError(OP, `opset ${describeValue(opset)} is not supported; choose ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  if (options.graphName !== undefined) requireName(OP, "graphName", options.graphName);
  const metadata = options.metadata ?? {};
  requireOptions(OP, "metadata", metadata, METADATA_OPTIONS);
  const own: readonly string[] = Object.values(FIXED_POINT_METADATA);
  for (const key of Object.keys(metadata.extra ?? {})) {
    if (own.includes(key)) throw new UnfoldError(OP, `metadata.extra key '${key}' is the model's own (the fixed point's settings); choose another key`);
  }
  return { shape, dtype, tol, maxIterations, params: options.params ?? {}, opset, metadata, graphName: options.graphName ?? "unfold" };
}
