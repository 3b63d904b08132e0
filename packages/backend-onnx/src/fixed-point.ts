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
  requireOneOf,
  requireOptions,
  splitLongSums,
} from "@unfold/core";
import { checkParams, metadataEntries } from "./export.js";
import { type CheckedLoopOptions, addLoop, checkLoopOptions, finishLoopBody, loopBodyInputs, setFixedPointMetadata } from "./fixed-point-loop.js";
import type { FixedPointMetadata } from "./fixed-point-metadata.js";
import { lowerProgram } from "./lower/program.js";
import { GraphBuilder } from "./model/graph-builder.js";
import type { GraphProto } from "./model/proto.js";

export { FIXED_POINT_METADATA, type FixedPointMetadata } from "./fixed-point-metadata.js";


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

const OP = "exportFixedPoint";
const OPTIONS = ["shape", "dtype", "tol", "maxIterations", "params", "opset", "metadata", "graphName"];
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
  const finals = addLoop(graph, STATE, body, o);
  graph.output(finals[0], FIXED_POINT_OUTPUTS.state, o.dtype, o.shape);
  graph.output(finals[1], FIXED_POINT_OUTPUTS.iterations, "int64", []);
  graph.output(finals[2], FIXED_POINT_OUTPUTS.residual, o.dtype, []);

  const metadata = setFixedPointMetadata(metadataEntries({ energyTerms: map.energy.terms.map((t) => t.name), ...o.metadata }), o);
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
  const inputs = loopBodyInputs(body, o);
  const feeds = new Map(program.feeds.map((f) => [f.name, f.name === STATE ? inputs.state : f.name]));
  const values = lowerProgram(program, body, { feeds, batched: new Uint8Array(program.nodes.length) });
  const output = (name: string): string => values.get(program.outputs.find((out) => out.name === name)!.id)!;
  const step = { next: output(LAYER_MAP_OUTPUTS.next), residualSq: output(LAYER_MAP_OUTPUTS.residualSq), stateSq: output(LAYER_MAP_OUTPUTS.stateSq) };
  return finishLoopBody(body, inputs, step, o);
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

interface CheckedOptions extends CheckedLoopOptions {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly params: Readonly<Record<string, HostTensor>>;
}

function checkOptions(options: FixedPointExportOptions): CheckedOptions {
  requireOptions(OP, "options", options, OPTIONS);
  const { shape } = options;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new UnfoldError(OP, `shape must be an array of positive integers, got ${describeValue(shape)}${Array.isArray(shape) ? ` [${shape.join(", ")}]` : ""}`);
  }
  const dtype = requireOneOf(OP, "dtype", options.dtype, ["float32", "float64"] as const);
  return { shape, dtype, params: options.params ?? {}, ...checkLoopOptions(OP, options) };
}
