import { Random, UnfoldError } from "@unfold/core";
import { mixSeed, permutation } from "./seed.js";

/**
 * Which training examples each step sees. Stateless: batch `step` is a function of its arguments
 * alone, so a run resumed from a checkpoint at step s sees exactly the batches it would have seen.
 */

/** Full batches per epoch; the last partial batch is dropped so every step has the same shapes. */
export function stepsPerEpoch(count: number, batchSize: number): number {
  if (!Number.isInteger(count) || count < 1) throw new UnfoldError("stepsPerEpoch", `the train split needs at least 1 example, got ${count}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UnfoldError("stepsPerEpoch", `batch size must be an integer >= 1, got ${batchSize}`);
  if (batchSize > count) throw new UnfoldError("stepsPerEpoch", `batch size ${batchSize} is larger than the train split (${count} examples)`);
  return Math.floor(count / batchSize);
}

// One epoch's permutation, remembered: consecutive steps share it, and recomputing an O(count)
// shuffle per step would be wasted work. The memo does not change any result.
let memo: { count: number; seed: number; epoch: number; order: Int32Array } | undefined;

function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  if (memo && memo.count === count && memo.seed === seed && memo.epoch === epoch) return memo.order;
  const order = permutation(count, new Random(mixSeed(seed, epoch)));
  memo = { count, seed, epoch, order };
  return order;
}

/**
 * Batch `step` (0-based) of training: epoch = floor(step / stepsPerEpoch), a permutation of the
 * train split seeded by (seed, epoch), the last partial batch dropped (fixed shapes).
 */
export function trainBatchIndices(options: { count: number; batchSize: number; seed: number; step: number }): Int32Array {
  const { count, batchSize, seed, step } = options;
  const perEpoch = stepsPerEpoch(count, batchSize);
  if (!Number.isSafeInteger(step) || step < 0) throw new UnfoldError("trainBatchIndices", `step must be an integer >= 0, got ${step}`);
  if (!Number.isSafeInteger(seed)) throw new UnfoldError("trainBatchIndices", `seed must be a safe integer, got ${seed}`);
  const epoch = Math.floor(step / perEpoch);
  const within = step - epoch * perEpoch;
  return epochOrder(count, seed, epoch).slice(within * batchSize, (within + 1) * batchSize);
}
