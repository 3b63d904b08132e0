/**
 * What the trainer knows about a task: the shapes of its inputs and targets and a way to fetch
 * any examples of either split as host arrays. Models and losses are built from these shapes
 * alone, so MNIST, the synthetic tasks and a user's file all train through the same loop.
 */

/** Continuous features per token ([batch, tokens, features]) or integer token ids ([batch, tokens]). */
export type InputKind =
  | { readonly kind: "features"; readonly tokens: number; readonly features: number }
  | { readonly kind: "ids"; readonly tokens: number; readonly vocab: number };

/** One class per example ([batch]), or one label per position ([batch, tokens]) where -1 means no loss there. */
export type TargetKind = { readonly kind: "class"; readonly classes: number } | { readonly kind: "tokens"; readonly classes: number };

/** Label value meaning "no loss at this position" in a "tokens" target. */
export const IGNORE_LABEL = -1;

/** Examples of one split as host arrays. */
export interface TaskBatch {
  /** [batch, tokens, features] features or [batch, tokens] ids (ids stored as exact integers). */
  readonly inputs: Float64Array;
  /** [batch] class labels or [batch, tokens] labels with -1 where ignored. */
  readonly targets: Float64Array;
  readonly count: number;
}

/** A task's training or held-out examples. */
export type Split = "train" | "test";

/**
 * A task: the shapes of its inputs and targets and a way to fetch any examples of either split as
 * host arrays. Models and losses are built from these shapes alone.
 */
export interface TaskData {
  readonly name: string;
  readonly input: InputKind;
  readonly target: TargetKind;
  readonly trainCount: number;
  readonly testCount: number;
  /** Class names or vocabulary, for display. */
  readonly labels?: readonly string[];
  /**
   * Position p's target is the input token at p + 1 (next-token prediction): a model that lets a
   * token see later tokens would read its own answer, so such tasks need a causal model.
   */
  readonly nextToken?: boolean;
  /**
   * Examples `indices` of a split as host arrays; with `augment`, a deterministic augmentation
   * keyed by (augment.seed, example position in the batch): same arguments, same batch.
   */
  batch(split: Split, indices: ArrayLike<number>, augment?: { readonly seed: number }): TaskBatch;
}

/** The input tensor's shape for a batch of `batch` examples. */
export function inputShape(task: TaskData, batch: number): number[] {
  return task.input.kind === "features" ? [batch, task.input.tokens, task.input.features] : [batch, task.input.tokens];
}

/** The target tensor's shape for a batch of `batch` examples. */
export function targetShape(task: TaskData, batch: number): number[] {
  return task.target.kind === "class" ? [batch] : [batch, task.input.tokens];
}

/** Numbers per example in a batch's inputs. */
export function inputSize(input: InputKind): number {
  return input.kind === "features" ? input.tokens * input.features : input.tokens;
}

/** Numbers per example in a batch's targets. */
export function targetSize(target: TargetKind, input: InputKind): number {
  return target.kind === "class" ? 1 : input.tokens;
}
