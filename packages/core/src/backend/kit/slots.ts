// Slots: the storage a backend's planner gives each value of a program. Backends share the kinds
// of slot and what every slot knows; what a backend's storage needs besides (a dtype, a label for
// its errors, the output names it carries) it adds by extending PlanSlot.

/** Where a slot's storage comes from, which decides its lifetime. */
export type PlanSlotKind =
  /** fed by name each run: a staging copy of host data, or a resident tensor bound in place */
  | "input"
  /** an intermediate: its storage is shared with other intermediates by liveness */
  | "workspace"
  /** a result: fresh storage each run, handed to the caller */
  | "output"
  /** a constant of the program: written once, when the plan is bound */
  | "constant";

/**
 * One value's worth of storage in a plan. `Kind` lets a backend add kinds of its own (the CPU
 * backend's item rounds keep values in a per-thread region); `kind` is writable because a planner
 * learns late that an intermediate is a result, or private to such a round.
 */
export interface PlanSlot<Kind extends string = PlanSlotKind> {
  /** The slot's index in its plan's slot list. */
  readonly id: number;
  /** Where the slot's storage comes from. */
  kind: Kind;
  /** How many elements the slot holds. */
  readonly elements: number;
  /** The feed an input slot is bound to. */
  readonly feed?: string;
  /** The values of a constant slot. */
  readonly constant?: Float64Array;
}
