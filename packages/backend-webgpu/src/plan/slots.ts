/** Where a slot's buffer comes from, which decides its lifetime. */
export type SlotKind =
  /** fed by name each run: a staging buffer for host data, or a resident tensor's own buffer */
  | "input"
  /** an intermediate: shares a pooled buffer with other intermediates by liveness */
  | "workspace"
  /** a result: a fresh pooled buffer each run, handed to the caller */
  | "output"
  /** a constant of the program: uploaded once when the plan is bound */
  | "constant";

/** One float32 tensor's worth of storage in a plan. */
export interface Slot {
  readonly id: number;
  kind: SlotKind;
  readonly elements: number;
  /** What the slot holds, for error messages: "matmul %12 'scores' [4, 16, 16]". */
  readonly what: string;
  readonly feed?: string;
  readonly constant?: Float64Array;
  output?: string;
}
