import type { BatchStrides, GemmCall, GramSoftmaxCall } from "./calls.js";
import type { ItemRunner } from "./items.js";

/** What the plan needs of a matrix engine (the backend's, engine.ts, or one given in CpuBackendOptions.matmul). */
export interface MatmulEngine {
  /** Bytes of scratch memory `run` needs for this product. */
  scratchBytes(call: GemmCall): number;
  /** Computes one product into its output, using the scratch memory at `scratch`. */
  run(call: GemmCall, scratch: number): void;
  /** Evenly spaced batch items (byte strides), where the engine can share them among threads. */
  batchScratchBytes?(call: GemmCall, count: number): number;
  /** Computes `count` products whose operands are `strides` bytes apart. */
  runBatch?(call: GemmCall, count: number, strides: { a: number; b: number; c: number }, scratch: number): void;
  /** Products of at least this many multiply-adds (a batch's in total) may run on worker threads. */
  readonly minThreadedWork?: number;
  /** Keeps the worker threads awake for a burst of products (a program's run); see Threads.hold. */
  hold?(): void;
  /** Ends the burst `hold` began: the worker threads may sleep. */
  release?(): void;
  /** The fused Yang attention weights (kernels/gram-softmax), where the engine has them. */
  gramSoftmaxSupported?(n: number, k: number, items: number): boolean;
  /** Bytes of scratch memory `gramSoftmax` needs. */
  gramSoftmaxScratchBytes?(n: number, k: number, items: number, dv?: number): number;
  /** Computes the fused Yang attention weights of one call. */
  gramSoftmax?(call: GramSoftmaxCall, scratch: number): void;
  /**
   * Item rounds (plan/segments.ts): the blocks of one item of a batched product and of a Gram
   * softmax (undefined where the engine has no worker threads or SIMD kernels), and the round.
   */
  readonly threads?: number;
  /** The block of one batch item of a product, for an item round. */
  batchItemBlock?(call: GemmCall, items: number, strides: BatchStrides): Float64Array | undefined;
  /** The block of one item of a Gram softmax, for an item round. */
  gramItemBlock?(call: GramSoftmaxCall): Float64Array | undefined;
  /** Runs an item round: each thread takes whole batch items through every step of a chain. */
  runItems?: ItemRunner["runItems"];
}
