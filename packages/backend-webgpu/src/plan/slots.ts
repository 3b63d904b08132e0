import type { PlanSlot } from "@unfold/core";

/**
 * One float32 tensor's worth of storage in a plan: core's PlanSlot (kinds input, workspace,
 * output, constant) with a label for error messages and the one output it is handed out as (a
 * value wanted under a second output name is copied to a slot of its own).
 */
export interface Slot extends PlanSlot {
  /** What the slot holds, for error messages: "matmul %12 'scores' [4, 16, 16]". */
  readonly what: string;
  output?: string;
}
