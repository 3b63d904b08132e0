/**
 * Item rounds (plan/segments.ts): chunk t runs each of a segment's `count` blocks on item t, in
 * order, so one thread takes an item through every step. The blocks live in the memory, one copy
 * per thread, since a thread's private values sit at its own addresses: thread h's blocks
 * (ROUND_WORDS words each) start at byte blocks + h * perThread.
 */
import { blockOf, defineLayout, ROUND_KIND } from "./layout.js";
import { roundRunner, type RunnerContext } from "./runner.js";

/** An item round's words; its chunk count is the item count. */
export const ITEM_LAYOUT = defineLayout("items", ["blocks", "count", "perThread"]);

/** The parameter block of an item round over `items` items. */
export function planItemRound(blocks: number, count: number, perThread: number, items: number): Float64Array {
  return blockOf(ROUND_KIND.items, ITEM_LAYOUT, { blocks, count, perThread, total: items });
}

/**
 * This thread's blocks, each run on item `chunk` by its own runner; kernel-round blocks go to
 * the context's `loop`. Self-contained: the workers run its source.
 */
function runItemRound(p: Float64Array, chunk: number, thread: number, context: RunnerContext, w: typeof ITEM_LAYOUT.words): void {
  const words = p.length;
  const count = p[w.count]!;
  const blocks = new Float64Array(context.memory.buffer, p[w.blocks]! + thread * p[w.perThread]!, count * words);
  for (let s = 0; s < count; s++) {
    const q = blocks.subarray(s * words, (s + 1) * words);
    const entry = context.runners[q[0]!]!;
    entry.run(q, chunk, thread, context, entry.words);
  }
}

/** The item round's runner. */
export const ITEM_RUNNER = roundRunner(ROUND_KIND.items, ITEM_LAYOUT, runItemRound);
