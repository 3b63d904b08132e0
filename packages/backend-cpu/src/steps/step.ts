import type { DType } from "@unfold/core";
import type { ItemForm } from "./items.js";

/** Element offsets of every slot for one run, plus the memory views to address them. */
export interface RunContext {
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  readonly base: Float64Array;
  /** Byte offset of the plan's scratch region (packing buffers of the matrix engine). */
  readonly scratch: number;
  /** Byte offset of the region of the plan's item rounds (plan/segments.ts). */
  readonly segments: number;
}

export interface Step {
  readonly label: string;
  readonly reads: readonly number[];
  readonly writes: number;
  /** Further slots the step writes (an item round writes one per value read after it). */
  readonly alsoWrites?: readonly number[];
  /** How the step runs on one item of its batch, where it can (steps/items.ts). */
  readonly items?: ItemForm;
  /** The steps an item round runs, in order. */
  readonly inner?: readonly Step[];
  run(ctx: RunContext): void;
}

export const bytesOf = (dtype: DType): number => (dtype === "float32" ? 4 : 8);
