import type { DType } from "../dtype.js";
import type { Shape } from "../shape.js";

/** Elementwise functions of one argument. `stopGradient` is the identity with a zero derivative. */
export const UNARY_OPS = ["neg", "exp", "log", "sqrt", "tanh", "abs", "sign", "stopGradient"] as const;
/** The name of an elementwise primitive of one argument (an entry of UNARY_OPS). */
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Elementwise functions of two broadcast arguments; comparisons return 1 or 0. */
export const BINARY_OPS = ["add", "sub", "mul", "div", "max", "min", "pow", "greater", "greaterEqual", "equal"] as const;
/** The name of an elementwise primitive of two broadcast arguments (an entry of BINARY_OPS). */
export type BinaryOp = (typeof BINARY_OPS)[number];

/**
 * The closed set of primitives. Layout ops carry only what their output shape does not already
 * say: a reshape or broadcast needs nothing beyond the node's shape, a slice its start offsets.
 * Reductions keep the reduced axes (as size 1); the tracing API drops them when asked.
 */
export type NodeSpec =
  | { readonly op: "input"; readonly name: string }
  | { readonly op: "param"; readonly name: string }
  | { readonly op: "constant"; readonly value: Float64Array }
  | { readonly op: UnaryOp }
  | { readonly op: "cast"; readonly to: DType }
  | { readonly op: BinaryOp }
  | { readonly op: "sum"; readonly axes: readonly number[] }
  | { readonly op: "reduceMax"; readonly axes: readonly number[] }
  | { readonly op: "matmul" }
  | { readonly op: "reshape" }
  | { readonly op: "broadcast" }
  | { readonly op: "transpose"; readonly perm: readonly number[] }
  | { readonly op: "slice"; readonly begin: readonly number[] }
  | { readonly op: "concat"; readonly axis: number }
  | { readonly op: "gather"; readonly axis: number }
  | { readonly op: "scatterAdd"; readonly axis: number };

/** The name of any primitive: the `op` field of a node. */
export type Op = NodeSpec["op"];
/**
 * The fields of a node of op K. Distributes over NodeSpec's members rather than using
 * `Extract<NodeSpec, { op: K }>`, which is `never` for one op of a family: the elementwise
 * member `{ op: UnaryOp }` is not assignable to `{ op: "neg" }`.
 */
export type SpecOf<K extends Op> = NodeSpec extends infer S
  ? S extends { readonly op: infer O } ? (K extends O ? S & { readonly op: K } : never) : never
  : never;
/** The ops a backend computes: every primitive but the leaves (inputs, parameters, constants). */
export type ComputedOp = Exclude<Op, "input" | "param" | "constant">;

/** One SSA value of a program: a primitive applied to earlier nodes. */
export type Node = NodeSpec & {
  readonly id: number;
  readonly inputs: readonly number[];
  readonly shape: Shape;
  readonly dtype: DType;
  /** The user's name for this value, used in error messages and printouts. */
  readonly label?: string;
  /** The composite (softmax, layerNorm, ...) this node was emitted by, for fused lowerings. */
  readonly composite?: string;
  /**
   * Where in the user's code the node was traced ("term 'attention' of energy 'yang'", "the
   * gradient of ..."), so that errors found long after tracing can say it in the user's words.
   * Like the label, it never changes what the node computes.
   */
  readonly origin?: string;
};

export type LeafKind = "input" | "param";

export function isLeaf(node: Node): node is Node & { op: LeafKind; name: string } {
  return node.op === "input" || node.op === "param";
}
