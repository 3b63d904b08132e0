import { liveIntervals, workspaceByFirstWrite } from "@unfold/core";
import { sizeClass } from "../pool.js";
import { type PlanStep, viewsRead } from "./kernels.js";
import type { Slot } from "./slots.js";

/** The workspace buffers a plan needs, and which of them each workspace slot uses. */
export interface WorkspaceAssignment {
  /** Byte size of each workspace buffer. */
  readonly buffers: number[];
  /** Workspace slot id -> index into `buffers`. */
  readonly slotBuffer: Map<number, number>;
}

/** The slot a step writes and the slots it reads, for live intervals. */
const accessOf = (step: PlanStep): { writes: number[]; reads: number[] } => ({ writes: [step.out], reads: viewsRead(step.spec).map((v) => v.slot) });

/**
 * Shares buffers between intermediates whose live intervals (core's liveIntervals) do not
 * overlap. Slots are placed in order of their first write, each in the smallest free buffer of a
 * large enough size class (a buffer freed by a slot that died strictly earlier, so no kernel
 * reads and writes one buffer), else a new one.
 */
export function assignWorkspace(slots: readonly Slot[], steps: readonly PlanStep[], limit: number): WorkspaceAssignment {
  const intervals = liveIntervals(steps, accessOf);
  const buffers: number[] = [];
  const freeAfter: number[] = [];
  const slotBuffer = new Map<number, number>();
  for (const slot of workspaceByFirstWrite(slots, intervals)) {
    const { start: t, end } = intervals.get(slot.id)!;
    const bytes = sizeClass(slot.elements * 4, limit);
    let best = -1;
    for (let b = 0; b < buffers.length; b++) {
      if (freeAfter[b]! < t && buffers[b]! >= bytes && (best < 0 || buffers[b]! < buffers[best]!)) best = b;
    }
    if (best < 0) {
      best = buffers.length;
      buffers.push(bytes);
      freeAfter.push(-1);
    }
    slotBuffer.set(slot.id, best);
    freeAfter[best] = end;
  }
  return { buffers, slotBuffer };
}
