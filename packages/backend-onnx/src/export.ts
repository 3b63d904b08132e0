import { FeedError, type HostTensor, type Program, UnfoldError, formatShape, optimize, sizeOf, splitLongSums } from "@unfold/core";
import { batchedValues } from "./lower/batch.js";
import { lowerProgram } from "./lower/program.js";
import { DEFAULT_OPSET, GraphBuilder } from "./model/graph-builder.js";
import type { Dim } from "./model/dim.js";

/** What the exported model records about where it came from (as metadata_props). */
export interface ModelMetadata {
  /** The energy's terms, in order (stored comma-separated under `unfold.energy_terms`). */
  readonly energyTerms?: readonly string[];
  /** Unfolded steps (layers) the program runs (`unfold.steps`). */
  readonly steps?: number;
  /** The Unfold version that made the program (`unfold.version`, and the producer version). */
  readonly unfoldVersion?: string;
  /** Any further key/value pairs, stored as they are. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** A symbolic leading axis: its name, and which feeds carry it. */
export interface BatchDimOption {
  readonly name: string;
  /**
   * The feeds that carry the axis: inputs, and parameters left as graph inputs (not given in
   * `params`) that hold one row per example. By default, every input (never a parameter) whose
   * leading size is the first input's.
   */
  readonly inputs?: readonly string[];
}

/** Options of `exportOnnx`: parameters to bake in, a symbolic batch axis, metadata, the opset and the graph's name. */
export interface ExportOptions {
  /** Parameter values to bake in as initializers; parameters not given stay graph inputs. */
  readonly params?: Readonly<Record<string, HostTensor>>;
  /**
   * Makes the leading axis symbolic (a dim_param) when the program allows it; a string is the
   * axis name. The axis goes on the outputs computed from the feeds that carry it: by default,
   * every program input (kind "input", never a parameter) whose leading size is the first input's.
   * A parameter with one row per example, left as a graph input, carries it only when named:
   * `{ name: "batch", inputs: ["state", "y"] }`.
   */
  readonly batchDim?: string | BatchDimOption;
  /** What to record about where the model came from. */
  readonly metadata?: ModelMetadata;
  /** The ONNX opset to target, 17 to 21 (default 18). */
  readonly opset?: number;
  /** The graph's name (default "unfold"). */
  readonly graphName?: string;
}

/** An encoded model and how the program's names map onto the graph's. */
export interface OnnxModel {
  readonly bytes: Uint8Array;
  /** Feed name -> graph input name, for the feeds that stayed graph inputs (the names are the same). */
  readonly inputs: ReadonlyMap<string, string>;
  /** Program output name -> graph output name (renamed only where it collides with an input). */
  readonly outputs: ReadonlyMap<string, string>;
}

/** The lowest ONNX opset an export targets. */
export const MIN_OPSET = 17;
/** The highest ONNX opset an export targets. */
export const MAX_OPSET = 21;

/** Encodes `program` as an ONNX model (after core's optimization passes). */
export function exportOnnx(program: Program, options: ExportOptions = {}): Uint8Array {
  return buildOnnxModel(program, options).bytes;
}

/**
 * Encodes `program` as `exportOnnx` does, and also returns how the program's feed and output names
 * map onto the graph's inputs and outputs (what the backend binds a session with).
 */
export function buildOnnxModel(program: Program, options: ExportOptions = {}): OnnxModel {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UnfoldError("exportOnnx", `opset ${opset} is not supported; choose ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  const params = options.params ?? {};
  checkParams(program, params);
  const batch = resolveBatch(program, options.batchDim);
  const graphInputs = new Set(program.feeds.filter((f) => !params[f.name]).map((f) => f.name));
  const axis = { ...(batch ?? { name: "", inputs: new Set<string>() }), graphInputs };
  const optimized = optimize(program);
  // Checked before the split too, so that a refusal names the user's op rather than a node of a
  // split sum.
  const optimizedBatched = batchedValues(optimized, axis);
  // onnxruntime adds a reduction's terms serially into one float32 total: long float32 sums are
  // split into short ones (standard ops all the same, the batch axis untouched).
  const lowered = splitLongSums(optimized);
  const batched = lowered === optimized ? optimizedBatched : batchedValues(lowered, axis);

  const feedNames = program.feeds.map((f) => f.name);
  const outputs = new Map<string, string>();
  const taken = new Set(feedNames);
  for (const o of program.outputs) {
    let name = o.name;
    for (let k = 1; taken.has(name); k++) name = `${o.name}.out${k > 1 ? k : ""}`;
    taken.add(name);
    outputs.set(o.name, name);
  }
  const graph = new GraphBuilder(opset, taken);
  const inputs = new Map<string, string>();
  for (const f of program.feeds) {
    const given = params[f.name];
    if (given) graph.initializer(f.name, f.dtype, f.shape, given.data);
    else {
      const leading = batch?.inputs.has(f.name) ? [batch.name, ...f.shape.slice(1)] : f.shape;
      graph.input(f.name, f.dtype, leading);
      inputs.set(f.name, f.name);
    }
  }
  const feedValues = new Map(feedNames.map((n) => [n, n]));
  const batchInput = batch ? [...batch.inputs].find((n) => !params[n]) : undefined;
  const values = lowerProgram(lowered, graph, { feeds: feedValues, batched, ...(batchInput !== undefined ? { batchInput } : {}) });
  for (const o of lowered.outputs) {
    const node = lowered.nodes[o.id]!;
    const shape: Dim[] = batched[o.id] && batch ? [batch.name, ...node.shape.slice(1)] : [...node.shape];
    graph.output(values.get(o.id)!, outputs.get(o.name)!, node.dtype, shape);
  }
  const bytes = graph.encode({
    graphName: options.graphName ?? "unfold",
    opset,
    ...(options.metadata?.unfoldVersion !== undefined ? { producerVersion: options.metadata.unfoldVersion } : {}),
    metadata: metadataEntries(options.metadata),
  });
  return { bytes, inputs, outputs };
}

/** Checks that each value in `params` is a parameter of `program` with its shape and dtype; errors name `op`. */
export function checkParams(program: Program, params: Readonly<Record<string, HostTensor>>, op = "exportOnnx"): void {
  for (const [name, t] of Object.entries(params)) {
    const spec = program.feeds.find((f) => f.name === name);
    if (!spec || spec.kind !== "param") {
      const list = program.feeds.filter((f) => f.kind === "param").map((f) => f.name).join(", ") || "(none)";
      throw new FeedError(op, `'${name}' is not a parameter of the program; its parameters are: ${list}`);
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]) || t.data.length !== sizeOf(spec.shape)) {
      throw new FeedError(op, `parameter '${name}' has shape ${formatShape(t.shape)}, the program expects ${formatShape(spec.shape)}`);
    }
    if (t.dtype !== spec.dtype) throw new FeedError(op, `parameter '${name}' is ${t.dtype}, the program expects ${spec.dtype}`);
  }
}

/** The batch axis `option` asks for on `program`: its name and the feeds that carry it (see ExportOptions.batchDim). */
export function resolveBatch(program: Program, option: ExportOptions["batchDim"]): { name: string; inputs: Set<string> } | undefined {
  if (option === undefined) return undefined;
  const name = typeof option === "string" ? option : option.name;
  const explicit = typeof option === "string" ? undefined : option.inputs;
  const candidates = program.feeds.filter((f) => f.kind === "input" && f.shape.length > 0);
  const size = candidates[0]?.shape[0];
  const chosen = explicit ?? candidates.filter((f) => f.shape[0] === size).map((f) => f.name);
  for (const n of chosen) {
    const f = program.feeds.find((s) => s.name === n);
    if (!f || f.shape.length === 0) throw new FeedError("exportOnnx", `batchDim input '${n}' is not a feed of rank 1 or more`);
  }
  if (chosen.length === 0) throw new FeedError("exportOnnx", "batchDim: the program has no input with a leading axis");
  return { name, inputs: new Set(chosen) };
}

/** The metadata_props entries of `meta`, in the order exportOnnx writes them. */
export function metadataEntries(meta: ModelMetadata | undefined): Map<string, string> {
  const entries = new Map<string, string>();
  if (!meta) return entries;
  if (meta.energyTerms) entries.set("unfold.energy_terms", meta.energyTerms.join(","));
  if (meta.steps !== undefined) entries.set("unfold.steps", String(meta.steps));
  if (meta.unfoldVersion !== undefined) entries.set("unfold.version", meta.unfoldVersion);
  for (const [k, v] of Object.entries(meta.extra ?? {})) entries.set(k, v);
  return entries;
}
