import type { Slot, Step } from "./steps.js";

const ALIGN = 16;

/**
 * Places workspace slots in one workspace, reusing bytes whose value is dead: a slot lives from
 * the step that writes it to the last step that reads it, and intervals that never overlap may
 * share memory. First fit over a sorted free list; returns byte offsets and the total size.
 */
export function assignWorkspace(slots: readonly Slot[], steps: readonly Step[]): { offsets: Map<number, number>; bytes: number } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  steps.forEach((step, t) => {
    for (const w of [step.writes, ...(step.alsoWrites ?? [])]) {
      if (!first.has(w)) first.set(w, t);
      last.set(w, Math.max(last.get(w) ?? t, t));
    }
    for (const r of step.reads) last.set(r, t);
  });
  const workspace = slots.filter((s) => s.kind === "workspace" && first.has(s.id));
  const sizeOf = (s: Slot): number => Math.ceil((s.elements * (s.dtype === "float32" ? 4 : 8)) / ALIGN) * ALIGN || ALIGN;
  const offsets = new Map<number, number>();
  const live: { start: number; size: number; end: number }[] = [];
  let bytes = 0;
  const byStart = [...workspace].sort((a, b) => first.get(a.id)! - first.get(b.id)!);
  for (const slot of byStart) {
    const t = first.get(slot.id)!;
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
    live.push({ start: offset, size, end: last.get(slot.id) ?? t });
    bytes = Math.max(bytes, offset + size);
  }
  return { offsets, bytes };
}
