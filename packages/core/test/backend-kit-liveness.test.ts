import { describe, expect, it } from "vitest";
import { type PlanSlot, type PlanSlotKind, liveIntervals, workspaceByFirstWrite } from "../src/index.js";

/** A step as a planner records it: the slot it writes and the slots it reads. */
interface TestStep {
  readonly out: number;
  readonly in: readonly number[];
}
const access = (s: TestStep): { writes: number[]; reads: readonly number[] } => ({ writes: [s.out], reads: s.in });

const slot = (id: number, kind: PlanSlotKind = "workspace"): PlanSlot => ({ id, kind, elements: 4 });

describe("liveIntervals", () => {
  it("runs from a slot's first write to the last step that reads or writes it", () => {
    // 0: input, 1 = f(0), 2 = g(1), 3 = h(1, 2), 1 written again at step 3, 2 read at step 4.
    const steps: TestStep[] = [
      { out: 1, in: [0] },
      { out: 2, in: [1] },
      { out: 3, in: [1, 2] },
      { out: 1, in: [3] },
      { out: 4, in: [2] },
    ];
    const intervals = liveIntervals(steps, access);
    expect(Object.fromEntries(intervals)).toEqual({
      1: { start: 0, end: 3 },
      2: { start: 1, end: 4 },
      3: { start: 2, end: 3 },
      4: { start: 4, end: 4 },
    });
  });

  it("gives a slot that is only read (an input, a constant) no interval", () => {
    expect(liveIntervals([{ out: 1, in: [0] }], access).has(0)).toBe(false);
  });

  it("starts at the first write even when a step read the slot before it", () => {
    const intervals = liveIntervals([{ out: 2, in: [1] }, { out: 1, in: [] }, { out: 3, in: [2] }], access);
    expect(intervals.get(1)).toEqual({ start: 1, end: 1 });
  });

  it("counts every slot a step writes", () => {
    const intervals = liveIntervals([{ writes: [1, 2], reads: [] }, { writes: [], reads: [2] }], (s) => s);
    expect(Object.fromEntries(intervals)).toEqual({ 1: { start: 0, end: 0 }, 2: { start: 0, end: 1 } });
  });
});

describe("workspaceByFirstWrite", () => {
  it("keeps written workspace slots, ordered by first write, ties in slot order", () => {
    const slots = [slot(0, "input"), slot(1), slot(2), slot(3, "output"), slot(4), slot(5)];
    // Slot 5 is never written: it has no storage to place.
    const steps: TestStep[] = [
      { out: 4, in: [0] },
      { out: 2, in: [4] },
      { out: 1, in: [4] },
      { out: 3, in: [1, 2] },
    ];
    const order = workspaceByFirstWrite(slots, liveIntervals(steps, access)).map((s) => s.id);
    expect(order).toEqual([4, 2, 1]);
    const tie = workspaceByFirstWrite(slots, liveIntervals([{ writes: [4, 2, 1], reads: [0] }], (s) => s)).map((s) => s.id);
    expect(tie).toEqual([1, 2, 4]);
  });

  it("accepts a backend's own kinds of slot", () => {
    const slots: PlanSlot<PlanSlotKind | "private">[] = [{ id: 0, kind: "private", elements: 1 }, { id: 1, kind: "workspace", elements: 1 }];
    expect(workspaceByFirstWrite(slots, liveIntervals([{ out: 0, in: [] }, { out: 1, in: [0] }], access)).map((s) => s.id)).toEqual([1]);
  });
});
