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

/**
 * Shares buffers between intermediates whose lifetimes do not overlap: a slot lives from the
 * step that writes it to the last step that reads it. Slots are placed in order of their first
 * write, each in the smallest free buffer of a large enough size class (a buffer freed by a
 * slot that died strictly earlier, so no kernel reads and writes one buffer), else a new one.
 */
export function assignWorkspace(slots: readonly Slot[], steps: readonly PlanStep[], limit: number): WorkspaceAssignment {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  steps.forEach((step, t) => {
    if (!first.has(step.out)) first.set(step.out, t);
    last.set(step.out, Math.max(last.get(step.out) ?? t, t));
    for (const v of viewsRead(step.spec)) last.set(v.slot, t);
  });
  const workspace = slots.filter((s) => s.kind === "workspace" && first.has(s.id)).sort((a, b) => first.get(a.id)! - first.get(b.id)!);
  const buffers: number[] = [];
  const freeAfter: number[] = [];
  const slotBuffer = new Map<number, number>();
  for (const slot of workspace) {
    const t = first.get(slot.id)!;
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
    freeAfter[best] = last.get(slot.id) ?? t;
  }
  return { buffers, slotBuffer };
}
