import type { GemmDType } from "../wasm/codegen.js";

/** One C = A B: byte offsets into the memory, strides in elements (so A^T is a free view). */
export interface GemmCall {
  readonly dtype: GemmDType;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: number;
  readonly rsA: number;
  readonly csA: number;
  readonly b: number;
  readonly rsB: number;
  readonly csB: number;
  /** C is written (not accumulated) with unit column stride. It must not overlap A or B. */
  readonly c: number;
  readonly rsC: number;
  /**
   * C = A A^T: B is A's transpose (same memory, swapped strides), so C is symmetric. Only the
   * blocks that reach the lower triangle are computed and the strict upper triangle is copied
   * from it: about half the multiply-adds. Needs m = n, b = a, rsB = csA and csB = rsA.
   */
  readonly symmetric?: boolean;
}

/**
 * Attention weights P_t = softmax_j(A_t A_t^T - 1 b_t^T) of `items` float32 items
 * (kernels/gram-softmax): item t's A (n x k) starts `strideA` bytes after item t - 1's, its bias
 * row (n values) `strideBias` bytes after (0: one row for all). Without `value`, the n x n weights
 * fill `out` one item after another; with it, `out` receives P_t V_t (n x dv each, row stride dv)
 * and the weights never leave the thread's scratch. Offsets are bytes, strides of A and V elements.
 */
export interface GramSoftmaxCall {
  readonly n: number;
  readonly k: number;
  readonly items: number;
  readonly a: number;
  readonly rsA: number;
  readonly csA: number;
  readonly strideA: number;
  readonly bias: number;
  readonly strideBias: number;
  readonly out: number;
  readonly value?: GramValue;
  /**
   * The bias is the Yang one, b_j = |a_j|^2 / 2: read it off each item's Gram diagonal instead
   * (`bias` and `strideBias` are then ignored).
   */
  readonly biasFromDiagonal?: boolean;
}

/** The right operand V_t (n x dv) of attention's weights, item t's `stride` bytes after item t - 1's. */
export interface GramValue {
  readonly b: number;
  readonly rsB: number;
  readonly csB: number;
  readonly stride: number;
  readonly dv: number;
}

/** Byte distances between consecutive items' A, B and C in a batched product. */
export interface BatchStrides {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}
