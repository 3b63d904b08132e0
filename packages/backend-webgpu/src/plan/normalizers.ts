import { findComposites, innerReadOnlyByComposite, type Program } from "@unfold/core";

/** A max-shifted softmax or logsumexp found in a program, to run as one row kernel. */
export interface NormalizerMatch {
  readonly mode: "softmax" | "logsumexp";
  /** The argument the rows are taken of. */
  readonly input: number;
  readonly axis: number;
  /** The decomposition's inner nodes, which the fused kernel replaces. */
  readonly internal: readonly number[];
}

/**
 * The softmaxes and logsumexps core's recognizer finds (any axis), where nothing outside reads
 * their inner nodes. Each becomes one kernel (max, sum of exponentials, result) instead of four
 * or five dispatches and buffers. Keyed by the node that yields the result (the div, or the add).
 */
export function detectNormalizers(program: Program, uses: readonly number[], outputs: ReadonlySet<number>): Map<number, NormalizerMatch> {
  const found = new Map<number, NormalizerMatch>();
  for (const c of findComposites(program, ["softmax", "logsumexp"]).values()) {
    if (innerReadOnlyByComposite(program, c, uses, outputs)) found.set(c.root, { mode: c.kind, input: c.input, axis: c.axis, internal: c.inner });
  }
  return found;
}
