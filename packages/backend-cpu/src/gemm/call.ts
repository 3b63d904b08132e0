import type { GemmDType } from "./kernels.js";

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
