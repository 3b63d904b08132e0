import type { BinaryOp, UnaryOp } from "@unfold/core";
import type { View } from "@unfold/core";

/**
 * An elementwise expression tree, evaluated once per output element inside one kernel. Leaves
 * read strided views (already broadcast to the kernel's iteration shape); scalar constants are
 * literals in the WGSL; `acc` is the matrix product's accumulator in a matmul epilogue.
 */
export type Expr =
  | { readonly kind: "leaf"; readonly index: number }
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "acc" }
  | { readonly kind: "unary"; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly args: readonly [Expr, Expr] };

/** A fused elementwise expression over `shape`, written contiguously. */
export interface ElementwiseKernel {
  readonly kind: "elementwise";
  readonly shape: readonly number[];
  readonly leaves: readonly View[];
  readonly expr: Expr;
}

/** sum or max of an expression over `axes` of `shape`; the output keeps the axes as size 1. */
export interface ReduceKernel {
  readonly kind: "reduce";
  readonly op: "sum" | "max";
  readonly shape: readonly number[];
  readonly axes: readonly number[];
  readonly leaves: readonly View[];
  readonly expr: Expr;
}

/**
 * A fused, max-shifted row normalizer over one axis: softmax (output of `shape`) or logsumexp
 * (output with the axis kept as size 1). One workgroup per row: max, sum of exponentials, write.
 */
export interface NormalizeKernel {
  readonly kind: "normalize";
  readonly mode: "softmax" | "logsumexp";
  readonly shape: readonly number[];
  readonly axis: number;
  readonly leaves: readonly View[];
  readonly expr: Expr;
}

/** A batched matrix product of two strided views (transposes folded into strides), with an optional elementwise epilogue. */
export interface MatmulKernel {
  readonly kind: "matmul";
  readonly shape: readonly number[];
  readonly a: View;
  readonly b: View;
  readonly epilogue?: { readonly expr: Expr; readonly leaves: readonly View[] };
}

export interface ConcatKernel {
  readonly kind: "concat";
  readonly shape: readonly number[];
  readonly axis: number;
  readonly parts: readonly View[];
}

export interface GatherKernel {
  readonly kind: "gather";
  readonly shape: readonly number[];
  readonly axis: number;
  readonly x: View;
  readonly indices: View;
}

/**
 * The first pass of a scatterAdd: for each of `rows` target rows, the positions in `indices`
 * (row-major) that name it, ascending, as lists in one u32 buffer of rowListsLength entries:
 * rows + 1 list starts (the last is the index count), rows counters the pass works with, then
 * the lists one after another.
 */
export interface ScatterRowsKernel {
  readonly kind: "scatterRows";
  readonly rows: number;
  readonly indices: View;
}

/** u32 entries of a scatterAdd's row lists (see ScatterRowsKernel). */
export const rowListsLength = (rows: number, count: number): number => 2 * rows + 1 + count;

/** The second pass: each output element sums the updates its row's list names. */
export interface ScatterAddKernel {
  readonly kind: "scatterAdd";
  readonly shape: readonly number[];
  readonly axis: number;
  readonly updates: View;
  /** The index tensor's shape and strides (its data was read by the first pass). */
  readonly indices: View;
  /** The first pass's output. */
  readonly rowLists: View;
}

export type KernelSpec = ElementwiseKernel | ReduceKernel | NormalizeKernel | MatmulKernel | ConcatKernel | GatherKernel | ScatterRowsKernel | ScatterAddKernel;

/** One dispatch of a plan: what it computes, the slot it writes (whole and contiguous), and a label for messages. */
export interface PlanStep {
  readonly label: string;
  readonly spec: KernelSpec;
  readonly out: number;
}

/** Every view a kernel reads (for bindings and liveness). */
export function viewsRead(spec: KernelSpec): readonly View[] {
  switch (spec.kind) {
    case "elementwise":
    case "reduce":
    case "normalize":
      return spec.leaves;
    case "matmul":
      return [spec.a, spec.b, ...(spec.epilogue?.leaves ?? [])];
    case "concat":
      return spec.parts;
    case "gather":
      return [spec.x, spec.indices];
    case "scatterRows":
      return [spec.indices];
    case "scatterAdd":
      return [spec.updates, spec.rowLists];
  }
}
