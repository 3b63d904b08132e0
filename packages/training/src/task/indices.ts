import { UnfoldError } from "@unfold/core";
import type { Split } from "./task.js";

/**
 * Checks batch indices before any copying, so a sampler bug is reported as the bad index and the
 * split's size rather than as silently read zeros or undefined values.
 */
export function checkIndices(task: string, split: Split, indices: ArrayLike<number>, count: number): void {
  if (split !== "train" && split !== "test") throw new UnfoldError(`${task}.batch`, `split must be "train" or "test", got ${JSON.stringify(split)}`);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new UnfoldError(`${task}.batch`, `index ${i} at batch position ${k} is outside the ${split} split of ${count} examples`);
    }
  }
}

/** Copies rows `indices` of a [count, size] array into a new [indices.length, size] array. */
export function gatherRows(source: Float64Array, size: number, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.set(source.subarray(i * size, (i + 1) * size), k * size);
  }
  return out;
}
