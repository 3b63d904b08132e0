// The parts every exported fixed-point Loop shares: the body's stopping test on the relative
// residual, the Loop node with its first values, and the fixed-point metadata keys. Used by
// exportFixedPoint (state -> fixed point) and exportFixedPointModel (inputs -> outputs through a
// fixed point). See docs/fixed-points.md, section 5.
import { type DType, UnfoldError, describeValue, requireInteger, requireName, requireOptions, requirePositive } from "@unfold/core";
import { MAX_OPSET, MIN_OPSET } from "./export.js";
import type { Dim } from "./model/dim.js";
import { DEFAULT_OPSET, type GraphBuilder } from "./model/graph-builder.js";
import type { GraphProto } from "./model/proto.js";
import { FIXED_POINT_METADATA, type FixedPointMetadata } from "./fixed-point-metadata.js";

/** The stopping rule and the carried state's type, as a Loop body needs them. */
export interface LoopSettings {
  readonly dtype: DType;
  /** The carried state's shape as declared in the body (a symbolic leading axis allowed). */
  readonly shape: readonly Dim[];
  readonly tol: number;
  readonly maxIterations: number;
}

/** The body's declared inputs, in the Loop's order. */
export interface LoopBodyInputs {
  readonly iteration: string;
  readonly state: string;
}

/** Declares a Loop body's inputs: (iteration, condition, Y, count, residual). */
export function loopBodyInputs(body: GraphBuilder, loop: LoopSettings): LoopBodyInputs {
  const iteration = body.input(body.fresh("iteration"), "int64", []);
  body.input(body.fresh("condition_in"), "bool", []);
  const state = body.input(body.fresh("state_in"), loop.dtype, loop.shape);
  body.input(body.fresh("iterations_in"), "int64", []);
  body.input(body.fresh("residual_in"), loop.dtype, []);
  return { iteration, state };
}

/**
 * Ends a Loop body given T(Y) and the two squared norms over the whole state (scalars): outputs
 * (r > tol, T(Y), iteration + 1, r) with r = ||T(Y) - Y|| / ||Y|| as Unfold's forward solvers
 * compute it.
 */
export function finishLoopBody(body: GraphBuilder, inputs: LoopBodyInputs, step: { next: string; residualSq: string; stateSq: string }, loop: LoopSettings): GraphProto {
  // The root of the ratio of the squares, and 0 when T(Y) = Y (0 at Y = 0 too, where the ratio is 0/0).
  const zero = body.floats(loop.dtype, [], [0], "zero");
  const ratio = body.op("Sqrt", [body.op("Div", [step.residualSq, step.stateSq])]);
  const residual = body.op("Where", [body.op("Equal", [step.residualSq, zero]), zero, ratio]);
  // Go on while the residual is above tol. A NaN compares false: it stops the loop (with a NaN
  // residual) rather than spinning to maxIterations; Y = 0 with T(0) != 0 gives +inf and goes on.
  const goOn = body.op("Greater", [residual, body.floats(loop.dtype, [], [loop.tol], "tol")]);
  const count = body.op("Add", [inputs.iteration, body.scalar("int64", 1, "one")]);
  body.output(goOn, body.fresh("condition_out"), "bool", []);
  body.output(step.next, body.fresh("state_out"), loop.dtype, loop.shape);
  body.output(count, body.fresh("iterations_out"), "int64", []);
  body.output(residual, body.fresh("residual_out"), loop.dtype, []);
  return body.toGraph("layer");
}

/**
 * The Loop node `Loop(M = maxIterations, cond = true, start, 0, +inf)`; returns the values of the
 * last iterate, the count and the last residual. The first condition is true because the
 * residual of the starting state is known only after one application of T.
 */
export function addLoop(graph: GraphBuilder, start: string, body: GraphProto, loop: LoopSettings): readonly [state: string, iterations: string, residual: string] {
  const trips = graph.scalar("int64", loop.maxIterations, "max_iterations");
  const first = graph.scalar("bool", true, "keep_going");
  const noIterations = graph.scalar("int64", 0, "no_iterations");
  const unknownResidual = graph.floats(loop.dtype, [], [Number.POSITIVE_INFINITY], "residual_unknown");
  const finals = [graph.fresh("fixed_point"), graph.fresh("iterations"), graph.fresh("residual")] as const;
  graph.node("Loop", [trips, first, start, noIterations, unknownResidual], finals, { body: { graph: body } });
  return finals;
}

/** Adds the fixed-point keys to a model's metadata entries. */
export function setFixedPointMetadata(metadata: Map<string, string>, loop: LoopSettings): Map<string, string> {
  metadata.set(FIXED_POINT_METADATA.kind, "loop");
  metadata.set(FIXED_POINT_METADATA.tol, String(loop.tol));
  metadata.set(FIXED_POINT_METADATA.maxIterations, String(loop.maxIterations));
  return metadata;
}

/** The options both fixed-point exports take, checked. */
export interface CheckedLoopOptions {
  readonly tol: number;
  readonly maxIterations: number;
  readonly opset: number;
  readonly metadata: FixedPointMetadata;
  readonly graphName: string;
}

const METADATA_OPTIONS = ["energyTerms", "unfoldVersion", "extra"];

/** Checks tol, maxIterations, opset, graphName and metadata of a fixed-point export; errors name `op` and the field. */
export function checkLoopOptions(
  op: string,
  options: { readonly tol: number; readonly maxIterations: number; readonly opset?: number; readonly graphName?: string; readonly metadata?: FixedPointMetadata },
): CheckedLoopOptions {
  const tol = requirePositive(op, "tol", options.tol);
  const maxIterations = requireInteger(op, "maxIterations", options.maxIterations, 1);
  // The trip count is an int64 in the model, written from a double: beyond 2^53 it would not be the number given.
  if (maxIterations > Number.MAX_SAFE_INTEGER) throw new UnfoldError(op, `maxIterations must be at most ${Number.MAX_SAFE_INTEGER}, got ${maxIterations}`);
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UnfoldError(op, `opset ${describeValue(opset)} is not supported; choose ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  if (options.graphName !== undefined) requireName(op, "graphName", options.graphName);
  const metadata = options.metadata ?? {};
  requireOptions(op, "metadata", metadata, METADATA_OPTIONS);
  const own: readonly string[] = Object.values(FIXED_POINT_METADATA);
  for (const key of Object.keys(metadata.extra ?? {})) {
    if (own.includes(key)) throw new UnfoldError(op, `metadata.extra key '${key}' is the model's own (the fixed point's settings); choose another key`);
  }
  return { tol, maxIterations, opset, metadata, graphName: options.graphName ?? "unfold" };
}
