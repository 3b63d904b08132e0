// A whole fixed-point model as one ONNX graph: inputs -> prologue (the map's parameters and the
// starting state, from the inputs and the trained parameters) -> one Loop applying the layer map
// T until the relative residual falls to the tolerance -> epilogue (the fixed point to the model's
// outputs, e.g. logits). The batch axis may be symbolic: every part is traced at one batch size
// and exported with its leading axis open, as exportOnnx exports a program. See
// docs/fixed-points.md, section 5.
import {
  type DType,
  FeedError,
  type FeedSpec,
  Graph,
  type HostTensor,
  type LayerMap,
  type Program,
  type Shape,
  type Tensor,
  UnfoldError,
  applyLayer,
  describeValue,
  formatShape,
  ops,
  optimize,
  paramLeaves,
  requireName,
  requireOptions,
  splitLongSums,
} from "@unfold/core";
import { type BatchDimOption, checkParams, metadataEntries, resolveBatch } from "./export.js";
import { FIXED_POINT_OUTPUTS } from "./fixed-point.js";
import { type CheckedLoopOptions, type LoopSettings, addLoop, checkLoopOptions, finishLoopBody, loopBodyInputs, setFixedPointMetadata } from "./fixed-point-loop.js";
import type { FixedPointMetadata } from "./fixed-point-metadata.js";
import { type BatchAxis, batchedValues } from "./lower/batch.js";
import { lowerProgram } from "./lower/program.js";
import type { Dim } from "./model/dim.js";
import { GraphBuilder } from "./model/graph-builder.js";
import type { GraphProto } from "./model/proto.js";

/** The three parts of a fixed-point model, each traced at one batch size (the same for all three). */
export interface FixedPointModelParts {
  /**
   * Model inputs (kind "input") and parameters -> one output per parameter of the map's energy,
   * named as the parameter, and the starting state (the output named by `start`, which may be
   * one of the map's parameters, as an anchor often is).
   */
  readonly prologue: Program;
  /** The layer map T (see core's layerMap), its parameters of the shapes the prologue gives them. */
  readonly map: LayerMap;
  /**
   * The fixed point (the input feed named by `stateFeed`) and parameters -> the model's outputs.
   * Its other input feeds, if any, must be the prologue's inputs (the same graph inputs).
   */
  readonly epilogue: Program;
}

/** Options of `exportFixedPointModel`. */
export interface FixedPointModelExportOptions {
  /** The prologue output the loop starts from; its shape and dtype are the state's. */
  readonly start: string;
  /** The epilogue's input feed that receives the fixed point (default "state"). */
  readonly stateFeed?: string;
  /** The loop stops once the relative residual ||T(Y) - Y|| / ||Y|| (over the whole state) is at most tol. */
  readonly tol: number;
  /** The loop stops after this many applications of T if it has not converged (an integer >= 1). */
  readonly maxIterations: number;
  /** Parameter values (of the prologue or the epilogue) to bake in; parameters not given stay graph inputs. */
  readonly params?: Readonly<Record<string, HostTensor>>;
  /**
   * Makes the leading axis symbolic, as exportOnnx's batchDim does on the prologue (by default,
   * every prologue input whose leading size is the first input's carries it). The axis follows
   * the values through the prologue, the loop and the epilogue; the starting state must carry it.
   */
  readonly batchDim?: string | BatchDimOption;
  /** The ONNX opset to target, 17 to 21 (default 18). */
  readonly opset?: number;
  /** What to record about where the model came from (the fixed-point keys are added to it). */
  readonly metadata?: FixedPointMetadata;
  /** The graph's name (default "unfold"). */
  readonly graphName?: string;
}

const OP = "exportFixedPointModel";
const OPTIONS = ["start", "stateFeed", "tol", "maxIterations", "params", "batchDim", "opset", "metadata", "graphName"];
/** The body program's state feed (the map's own feeds are its energy's parameters). */
const ITERATE = "state";

/**
 * Exports a fixed-point model as ONNX bytes: graph inputs the prologue's inputs and the
 * parameters not baked in; outputs the epilogue's outputs, then FIXED_POINT_OUTPUTS (the fixed
 * point `state.out`, `iterations`, `residual`). The loop is one ONNX Loop node whose body applies
 * the layer map once and reads the map's parameters (computed once, by the prologue) from the
 * enclosing graph. The stopping test is on the whole state: with a batch, all examples iterate
 * together until the batch's residual sqrt(sum_i ||T(Y)_i - Y_i||^2 / sum_i ||Y_i||^2) is at most tol.
 */
export function exportFixedPointModel(parts: FixedPointModelParts, options: FixedPointModelExportOptions): Uint8Array {
  const o = checkOptions(options);
  const { prologue, map, epilogue } = checkParts(parts);
  const startOut = prologue.outputs.find((out) => out.name === o.start);
  if (!startOut) throw new FeedError(OP, `start '${o.start}' is not an output of the prologue; its outputs are: ${prologue.outputs.map((out) => out.name).join(", ")}`);
  const startNode = prologue.nodes[startOut.id]!;
  const dtype = startNode.dtype;
  if (dtype !== "float32" && dtype !== "float64") throw new FeedError(OP, `the starting state '${o.start}' is ${dtype}; a fixed-point model iterates a float32 or float64 state`);
  const shape = startNode.shape;
  checkMapParams(map, prologue, dtype);
  const feeds = mergedFeeds(prologue, epilogue, o.stateFeed, shape, dtype);
  checkParams({ nodes: [], feeds, outputs: [] }, o.params, OP);
  const outputNames = [...epilogue.outputs.map((out) => out.name), ...Object.values(FIXED_POINT_OUTPUTS)];
  for (const name of outputNames) {
    if (feeds.some((f) => f.name === name)) throw new FeedError(OP, `output '${name}' has the name of a feed; rename the epilogue's output or the feed`);
    if (outputNames.indexOf(name) !== outputNames.lastIndexOf(name)) throw new FeedError(OP, `the epilogue's output '${name}' is one of the model's own outputs (${Object.values(FIXED_POINT_OUTPUTS).join(", ")}); rename it`);
  }

  const batch = resolveBatch(prologue, o.batchDim);
  const graphInputs = new Set(feeds.filter((f) => !o.params[f.name]).map((f) => f.name));
  const graph = new GraphBuilder(o.opset, [...feeds.map((f) => f.name), ...outputNames]);
  for (const f of feeds) {
    const given = o.params[f.name];
    if (given) graph.initializer(f.name, f.dtype, f.shape, given.data);
    else graph.input(f.name, f.dtype, batch?.inputs.has(f.name) ? [batch.name, ...f.shape.slice(1)] : f.shape);
  }

  // The prologue, as exportOnnx lowers a program.
  const pro = prepare(prologue, batch && { ...batch, graphInputs });
  const batchInput = batch ? [...batch.inputs].find((n) => graphInputs.has(n)) : undefined;
  const proValues = lowerProgram(pro.program, graph, { feeds: new Map(feeds.map((f) => [f.name, f.name])), batched: pro.batched, ...(batchInput !== undefined ? { batchInput } : {}) });
  const prologueValue = (name: string): { value: string; batched: boolean } => {
    const id = pro.program.outputs.find((out) => out.name === name)!.id;
    return { value: proValues.get(id)!, batched: pro.batched[id] === 1 };
  };
  const start = prologueValue(o.start);
  if (batch && !start.batched) throw new UnfoldError(OP, `batchDim '${batch.name}': the starting state '${o.start}' does not carry the batch axis (it is computed from no batched input), so the loop cannot iterate a batch`);
  const axisName = batch?.name;
  const loop: LoopSettings = { dtype, shape: axisName ? [axisName, ...shape.slice(1)] : shape, tol: o.tol, maxIterations: o.maxIterations };

  const body = loopBody(graph, map, shape, loop, axisName, prologueValue);
  const finals = addLoop(graph, start.value, body, loop);

  // The epilogue, reading the fixed point where it had its state feed.
  const epiInputs = new Set(epilogue.feeds.filter((f) => f.kind === "input" && (f.name === o.stateFeed ? axisName : batch?.inputs.has(f.name))).map((f) => f.name));
  const epi = prepare(epilogue, axisName !== undefined ? { name: axisName, inputs: epiInputs } : undefined);
  const epiFeeds = new Map(epilogue.feeds.map((f) => [f.name, f.name === o.stateFeed ? finals[0] : f.name]));
  const epiValues = lowerProgram(epi.program, graph, { feeds: epiFeeds, batched: epi.batched, ...(axisName !== undefined ? { batchInput: finals[0] } : {}) });
  for (const out of epi.program.outputs) {
    const node = epi.program.nodes[out.id]!;
    const dims: Dim[] = epi.batched[out.id] && axisName !== undefined ? [axisName, ...node.shape.slice(1)] : [...node.shape];
    graph.output(epiValues.get(out.id)!, out.name, node.dtype, dims);
  }
  graph.output(finals[0], FIXED_POINT_OUTPUTS.state, dtype, loop.shape);
  graph.output(finals[1], FIXED_POINT_OUTPUTS.iterations, "int64", []);
  graph.output(finals[2], FIXED_POINT_OUTPUTS.residual, dtype, []);

  const metadata = setFixedPointMetadata(metadataEntries({ energyTerms: map.energy.terms.map((t) => t.name), ...o.metadata }), loop);
  return graph.encode({
    graphName: o.graphName,
    opset: o.opset,
    ...(o.metadata.unfoldVersion !== undefined ? { producerVersion: o.metadata.unfoldVersion } : {}),
    metadata,
  });
}

/**
 * The Loop's body: T(Y) from the map's step program, with the map's parameters read from the
 * enclosing graph, and the squared norms summed per example in the program (so that no sum runs
 * over the batch axis, which a symbolic axis forbids) and over the examples by one ReduceSum.
 */
function loopBody(graph: GraphBuilder, map: LayerMap, shape: Shape, loop: LoopSettings, axisName: string | undefined, prologueValue: (name: string) => { value: string; batched: boolean }): GraphProto {
  const program = stepProgram(map, shape, loop.dtype);
  const params = Object.keys(map.energy.params);
  const carried = new Set([...(axisName !== undefined ? [ITERATE] : []), ...params.filter((p) => prologueValue(p).batched)]);
  const step = prepare(program, axisName !== undefined ? { name: axisName, inputs: carried } : undefined);
  const body = graph.subgraph();
  const inputs = loopBodyInputs(body, loop);
  const feeds = new Map([[ITERATE, inputs.state], ...params.map((p) => [p, prologueValue(p).value] as const)]);
  const values = lowerProgram(step.program, body, { feeds, batched: step.batched, ...(axisName !== undefined ? { batchInput: inputs.state } : {}) });
  const output = (name: string): string => values.get(step.program.outputs.find((out) => out.name === name)!.id)!;
  // Over every remaining axis (none left for a scalar state): the whole state's squared norm.
  const total = (value: string): string => (shape.length === 0 ? value : body.op("ReduceSum", [value], { keepdims: { int: 0 } }));
  return finishLoopBody(body, inputs, { next: output("next"), residualSq: total(output("residualSq")), stateSq: total(output("stateSq")) }, loop);
}

/** state, the map's parameters -> T(state) and, per example (leading index), ||T(Y) - Y||^2 and ||Y||^2. */
function stepProgram(map: LayerMap, shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", ITERATE, shape, dtype);
  const params = paramLeaves(map.energy, graph, dtype);
  const next = applyLayer(map, state, params);
  const rest = shape.map((_, i) => i).slice(1);
  const perExample = (x: Tensor): Tensor => (rest.length > 0 ? ops.sum(ops.mul(x, x), rest) : ops.mul(x, x));
  return graph.toProgram({ next, residualSq: perExample(ops.sub(next, state)), stateSq: perExample(state) });
}

/** core's passes and the long-sum split, as exportOnnx applies them, and which values carry the batch axis. */
function prepare(program: Program, axis: BatchAxis | undefined): { program: Program; batched: Uint8Array } {
  const optimized = optimize(program);
  // Checked before the split too, so that a refusal names the user's op rather than a node of a split sum.
  const before = axis ? batchedValues(optimized, axis) : new Uint8Array(optimized.nodes.length);
  const lowered = splitLongSums(optimized);
  if (lowered === optimized) return { program: lowered, batched: before };
  return { program: lowered, batched: axis ? batchedValues(lowered, axis) : new Uint8Array(lowered.nodes.length) };
}

/** Each of the map's parameters is a prologue output of its shape and the state's dtype. */
function checkMapParams(map: LayerMap, prologue: Program, dtype: DType): void {
  if (ITERATE in map.energy.params) throw new FeedError(OP, `the map's energy '${map.energy.name}' has a parameter named '${ITERATE}', the name of the iterate in the loop body; rename the parameter`);
  for (const [name, spec] of Object.entries(map.energy.params)) {
    const out = prologue.outputs.find((x) => x.name === name);
    if (!out) throw new FeedError(OP, `the map's parameter '${name}' (energy '${map.energy.name}') is not an output of the prologue; its outputs are: ${prologue.outputs.map((x) => x.name).join(", ")}`);
    const node = prologue.nodes[out.id]!;
    if (!sameShape(node.shape, spec.shape)) throw new FeedError(OP, `the prologue's output '${name}' has shape ${formatShape(node.shape)}, the map's parameter expects ${formatShape(spec.shape)}`);
    if (node.dtype !== dtype) throw new FeedError(OP, `the prologue's output '${name}' is ${node.dtype}, the state is ${dtype}`);
  }
}

/**
 * The model's feeds: the prologue's, then the epilogue's parameters the prologue lacks. A feed of
 * both must agree in kind, shape and dtype; the epilogue's state feed must match the state; the
 * epilogue's other inputs must be the prologue's.
 */
function mergedFeeds(prologue: Program, epilogue: Program, stateFeed: string, shape: Shape, dtype: DType): FeedSpec[] {
  const state = epilogue.feeds.find((f) => f.name === stateFeed);
  if (!state || state.kind !== "input") {
    const inputs = epilogue.feeds.filter((f) => f.kind === "input").map((f) => f.name);
    throw new FeedError(OP, `the epilogue has no input '${stateFeed}' for the fixed point (stateFeed); its inputs are: ${inputs.join(", ") || "(none)"}`);
  }
  if (!sameShape(state.shape, shape) || state.dtype !== dtype) {
    throw new FeedError(OP, `the epilogue's state feed '${stateFeed}' is ${state.dtype} ${formatShape(state.shape)}, the state (the prologue's start) is ${dtype} ${formatShape(shape)}`);
  }
  if (prologue.feeds.some((f) => f.name === stateFeed)) throw new FeedError(OP, `the prologue has a feed named '${stateFeed}', the epilogue's state feed; rename one of them`);
  const feeds = [...prologue.feeds];
  for (const f of epilogue.feeds) {
    if (f.name === stateFeed) continue;
    const same = prologue.feeds.find((p) => p.name === f.name);
    if (!same) {
      if (f.kind === "input") throw new FeedError(OP, `the epilogue's input '${f.name}' is not an input of the prologue; the epilogue reads the fixed point ('${stateFeed}'), the prologue's inputs and parameters`);
      feeds.push(f);
      continue;
    }
    if (same.kind !== f.kind || !sameShape(same.shape, f.shape) || same.dtype !== f.dtype) {
      throw new FeedError(OP, `feed '${f.name}' is ${same.kind} ${same.dtype} ${formatShape(same.shape)} in the prologue but ${f.kind} ${f.dtype} ${formatShape(f.shape)} in the epilogue`);
    }
  }
  return feeds;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

function checkParts(parts: FixedPointModelParts): FixedPointModelParts {
  requireOptions(OP, "parts", parts, ["prologue", "map", "epilogue"]);
  for (const key of ["prologue", "epilogue"] as const) {
    const program = parts[key] as Partial<Program> | undefined;
    if (!program || !Array.isArray(program.nodes) || !Array.isArray(program.feeds) || !Array.isArray(program.outputs)) {
      throw new UnfoldError(OP, `parts.${key} must be a program (graph.toProgram), got ${describeValue(parts[key])}`);
    }
  }
  const map = parts.map as Partial<LayerMap> | undefined;
  if (!map || !Array.isArray(map.steps) || !Array.isArray(map.stepSizes) || typeof map.energy !== "object") {
    throw new UnfoldError(OP, `parts.map must be a layer map (layerMap), got ${describeValue(parts.map)}`);
  }
  return parts;
}

interface CheckedOptions extends CheckedLoopOptions {
  readonly start: string;
  readonly stateFeed: string;
  readonly params: Readonly<Record<string, HostTensor>>;
  readonly batchDim: FixedPointModelExportOptions["batchDim"];
}

function checkOptions(options: FixedPointModelExportOptions): CheckedOptions {
  requireOptions(OP, "options", options, OPTIONS);
  const start = requireName(OP, "start", options.start);
  const stateFeed = options.stateFeed === undefined ? "state" : requireName(OP, "stateFeed", options.stateFeed);
  return { start, stateFeed, params: options.params ?? {}, batchDim: options.batchDim, ...checkLoopOptions(OP, options) };
}
