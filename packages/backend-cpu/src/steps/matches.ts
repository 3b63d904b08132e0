/**
 * The composite matches the planner hands to the kernels (softmax rows that the Gram softmax
 * extends), kept below the kernel families so that one family can name another's match.
 */
export interface SoftmaxMatch {
  /** The softmax's argument (less `bias`, when there is one). */
  readonly input: number;
  /** The decomposition's inner nodes, which the fused kernel replaces. */
  readonly internal: number[];
  /** A row-vector bias the argument was `input - bias` of: the kernel subtracts it itself. */
  readonly bias?: { readonly node: number; readonly period: number };
}
