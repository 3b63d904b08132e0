import type { DType } from "../dtype.js";
import type { Shape } from "../shape.js";
import type { Node, Op, SpecOf } from "../ir/node.js";
import type { Tensor } from "../trace/graph.js";

/** What a shape rule sees of each argument. */
export interface ArgInfo {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly label?: string;
}

/** One argument of a primitive's float64 reference evaluation: its values and shape. */
export interface EvalArg {
  readonly data: Float64Array;
  readonly shape: Shape;
}

/** What a vector-Jacobian rule sees: the node, its traced arguments and output, and the cotangent of the output. */
export interface VjpContext<K extends Op> {
  readonly node: Node & SpecOf<K>;
  readonly args: readonly Tensor[];
  readonly output: Tensor;
  readonly cotangent: Tensor;
}

/**
 * Everything Unfold knows about one primitive, in one place: the shape rule (which raises the
 * user-facing error), the float64 reference semantics, and the vector-Jacobian rule written in
 * primitives so that derivatives of derivatives come for free.
 */
export interface PrimitiveRule<K extends Op> {
  /** Output shape and dtype; `target` is the requested shape for layout ops that need one. */
  infer(spec: SpecOf<K>, args: readonly ArgInfo[], target: Shape | undefined): { shape: Shape; dtype: DType };
  /** The float64 values of the node, row-major, from its arguments' values (the reference semantics). */
  evaluate(node: Node & SpecOf<K>, args: readonly EvalArg[]): Float64Array;
  /** Cotangent for each argument; undefined where the argument receives none (or zero). */
  vjp(ctx: VjpContext<K>): readonly (Tensor | undefined)[];
}
