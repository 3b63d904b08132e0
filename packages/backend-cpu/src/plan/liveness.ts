import { liveIntervals, workspaceByFirstWrite } from "@unfold/core";
import { bytesOf, type Step } from "../steps/step.js";
import type { Slot } from "./slots.js";

const ALIGN = 16;

/** The slots a step writes and reads, for live intervals. */
const accessOf = (step: Step): { writes: number[]; reads: readonly number[] } => ({ writes: [step.writes, ...(step.alsoWrites ?? [])], reads: step.reads });

/**
 * Places workspace slots in one workspace, reusing bytes whose value is dead: a slot lives over
 * its live interval (core's liveIntervals), and slots whose intervals never overlap may share
 * memory. First fit over a sorted free list; returns byte offsets and the total size.
 */
export function assignWorkspace(slots: readonly Slot[], steps: readonly Step[]): { offsets: Map<number, number>; bytes: number } {
  const intervals = liveIntervals(steps, accessOf);
  const sizeOf = (s: Slot): number => Math.ceil((s.elements * bytesOf(s.dtype)) / ALIGN) * ALIGN || ALIGN;
  const offsets = new Map<number, number>();
  const live: { start: number; size: number; end: number }[] = [];
  let bytes = 0;
  for (const slot of workspaceByFirstWrite(slots, intervals)) {
    const { start: t, end } = intervals.get(slot.id)!;
    // Free what died strictly before this step (a step may read a slot it also overwrites? never:
    // every step writes a slot of its own).
    for (let i = live.length - 1; i >= 0; i--) if (live[i]!.end < t) live.splice(i, 1);
    live.sort((a, b) => a.start - b.start);
    const size = sizeOf(slot);
    let offset = 0;
    for (const block of live) {
      if (block.start - offset >= size) break;
      offset = Math.max(offset, block.start + block.size);
    }
    offsets.set(slot.id, offset);
    live.push({ start: offset, size, end });
    bytes = Math.max(bytes, offset + size);
  }
  return { offsets, bytes };
}
