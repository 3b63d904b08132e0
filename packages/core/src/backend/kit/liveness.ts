// Live intervals for planners: which steps a slot's value must survive, so that slots whose
// intervals never overlap can share storage. How they share it (offsets in one arena, pooled
// buffers by size class) is the backend's.
import type { PlanSlot } from "./slots.js";

/** The steps over which a slot holds a value: written first at `start`, touched last at `end`. */
export interface LiveInterval {
  /** The index of the step that first writes the slot. */
  readonly start: number;
  /** The index of the last step that reads or writes it. */
  readonly end: number;
}

/** The slots one step writes and reads. */
export interface StepAccess {
  /** Ids of the slots the step writes. */
  readonly writes: Iterable<number>;
  /** Ids of the slots the step reads. */
  readonly reads: Iterable<number>;
}

/**
 * The live interval of every slot the steps write: from the step that first writes it to the
 * last step that reads or writes it. A slot only read (an input, a constant) has none. A slot
 * whose interval ended strictly before step t may give its storage to a slot t writes; one that
 * ends at t may not, since step t may still read it while writing the other.
 */
export function liveIntervals<S>(steps: readonly S[], access: (step: S) => StepAccess): Map<number, LiveInterval> {
  const intervals = new Map<number, { start: number; end: number }>();
  steps.forEach((step, t) => {
    const { writes, reads } = access(step);
    for (const w of writes) {
      const interval = intervals.get(w);
      if (interval) interval.end = t;
      else intervals.set(w, { start: t, end: t });
    }
    // A read before the first write (of a slot a later step writes) changes nothing: that write
    // starts the interval and ends it no earlier.
    for (const r of reads) {
      const interval = intervals.get(r);
      if (interval) interval.end = t;
    }
  });
  return intervals;
}

/**
 * The workspace slots that some step writes, in the order their values are first written (ties
 * keep the slots' order): the order planners place them in.
 */
export function workspaceByFirstWrite<S extends PlanSlot<string>>(slots: readonly S[], intervals: ReadonlyMap<number, LiveInterval>): S[] {
  return slots.filter((s) => s.kind === "workspace" && intervals.has(s.id)).sort((a, b) => intervals.get(a.id)!.start - intervals.get(b.id)!.start);
}
