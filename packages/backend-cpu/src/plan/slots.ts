import type { DType, PlanSlot, PlanSlotKind } from "@unfold/core";

/**
 * Where a slot's bytes come from (core's kinds: input, workspace, output, constant), plus
 * "private": an intermediate of an item round, one item per thread, in the round's region
 * (plan/segments.ts).
 */
export type SlotKind = PlanSlotKind | "private";

/**
 * A slot of a CPU plan: core's PlanSlot with its dtype (plans mix float32 and float64) and every
 * output it holds (one slot may be handed out under several output names).
 */
export interface Slot extends PlanSlot<SlotKind> {
  readonly dtype: DType;
  outputs: string[];
}
