import type { DType, HostTensor, ParamValues, Unfolding } from "@unfold/core";

/**
 * A small, seeded instance of a zoo energy: what the energy suite runs on every backend, exports
 * to ONNX with a symbolic batch axis and checks with the monotonicity guard.
 */
export interface ZooExample {
  /** The unfolding under test; its guard mode is set by the suite. */
  readonly unfolding: Unfolding;
  /** The initial state. Its leading axis is the batch: examples that never interact. */
  readonly state: HostTensor;
  /** One parameter set (tied) or one per layer (untied), as runUnfolding takes them. */
  readonly params: ParamValues | readonly ParamValues[];
}

/** One energy of the zoo: joining the zoo is adding an entry to the list in ./index.ts. */
export interface ZooEntry {
  /** A short id, used in test names and reports. */
  readonly name: string;
  /** The paper (or papers) it comes from. */
  readonly reference: string;
  /** The descent guarantee its steps carry, in one sentence (tested by the energy suite). */
  readonly guarantee: string;
  /** Builds the seeded example in `dtype`; the same seed gives the same values in every dtype. */
  example(dtype: DType): ZooExample;
}
