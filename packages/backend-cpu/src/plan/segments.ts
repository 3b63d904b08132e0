/**
 * Item rounds: runs of consecutive steps over the same batch items, run depth first. In a plain
 * plan every threaded step is a round of its own, and the threads meet after each; the 12-layer
 * Yang forward on 8 sequences makes 60 such rounds, each a few hundred microseconds long, and
 * every meeting costs the time the slower thread lags. When each step of a run computes item t
 * from item t of the values before it (batched products, per-sequence attention, loops over the
 * tokens), the whole run is one round instead: a thread claims an item and takes it through
 * every step, so threads meet once, and an item's values stay in its thread's cache.
 *
 * Values made and used only inside a round are private: each thread keeps one item of each, in
 * a region of its own, with bytes reused by liveness along the round's steps. Values read after
 * the round keep their slot, each item writing its own part.
 */
import { ROUND_WORDS } from "../threads/layout.js";
import { type ItemAccess, type ItemForm, type ItemRunner, staysInItem } from "../steps/items.js";
import { assignWorkspace } from "./liveness.js";
import { bytesOf, type RunContext, type Step } from "../steps/step.js";
import type { Slot } from "./slots.js";

export interface Segmented {
  readonly steps: Step[];
  /** Bytes of the region the rounds keep their blocks and private values in (RunContext.segments). */
  readonly bytes: number;
  /** Scratch the rounds' blocks need. */
  readonly scratchBytes: number;
}

const ALIGN = 64;
const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

interface Open {
  readonly items: number;
  readonly steps: Step[];
  readonly written: Set<number>;
}

/**
 * Replaces runs of steps that have item forms by item rounds, where there are worker threads
 * and a run is worth a round. A step that does not read the run's values may move ahead of it
 * (a bias scaled once for all layers), so it does not cut the run in two. Marks the private
 * values' slots 'private'.
 */
export function formSegments(steps: readonly Step[], slots: Slot[], runner: ItemRunner | undefined): Segmented {
  if (!runner || runner.threads < 2) return { steps: [...steps], bytes: 0, scratchBytes: 0 };
  const readers = new Map<number, Set<Step>>();
  for (const step of steps) for (const r of step.reads) (readers.get(r) ?? readers.set(r, new Set()).get(r)!).add(step);

  const out: Step[] = [];
  let bytes = 0;
  let scratchBytes = 0;
  let open: Open | undefined;
  const local = (access: ItemAccess, items: number): boolean => staysInItem(access, items, slots[access.slot]!.elements);
  const joins = (run: Open, step: Step, form: ItemForm): boolean =>
    form.items === run.items &&
    step.reads.every((r) => form.reads.some((a) => a.slot === r)) &&
    form.reads.every((a) => !run.written.has(a.slot) || local(a, run.items)) &&
    local(form.write, run.items);
  const close = (): void => {
    if (!open) return;
    const run = open;
    open = undefined;
    const work = run.steps.reduce((sum, s) => sum + s.items!.work, 0) * run.items;
    if (run.steps.length < 2 || work < runner.minThreadedWork) {
      out.push(...run.steps);
      return;
    }
    const segment = segmentStep(run, slots, readers, runner, bytes);
    out.push(segment.step);
    bytes += segment.bytes;
    scratchBytes = Math.max(scratchBytes, segment.scratchBytes);
  };
  for (const step of steps) {
    const form = step.items;
    if (open && form && joins(open, step, form)) {
      open.steps.push(step);
      open.written.add(step.writes);
      continue;
    }
    if (open && !step.reads.some((r) => open!.written.has(r))) {
      out.push(step);
      continue;
    }
    close();
    if (form && local(form.write, form.items) && step.reads.every((r) => form.reads.some((a) => a.slot === r))) {
      open = { items: form.items, steps: [step], written: new Set([step.writes]) };
    } else out.push(step);
  }
  close();
  return { steps: out, bytes, scratchBytes };
}

function segmentStep(run: Open, slots: Slot[], readers: ReadonlyMap<number, ReadonlySet<Step>>, runner: ItemRunner, regionOffset: number): { step: Step; bytes: number; scratchBytes: number } {
  const { items } = run;
  const inside = new Set(run.steps);
  const isPrivate = (id: number): boolean => slots[id]!.kind === "workspace" && [...(readers.get(id) ?? [])].every((r) => inside.has(r));
  const privates = new Set([...run.written].filter(isPrivate));
  // One item of each private value per thread, placed by liveness along the round's steps.
  const itemSlots = [...privates].map((id) => ({ ...slots[id]!, elements: slots[id]!.elements / items }));
  const itemSteps = run.steps.map((s) => ({ ...s, reads: s.reads.filter((r) => privates.has(r)), writes: privates.has(s.writes) ? s.writes : -1 }));
  const placed = assignWorkspace(itemSlots, itemSteps);
  for (const id of privates) slots[id]!.kind = "private";
  const privateBytes = roundUp(placed.bytes, ALIGN);

  const forms = run.steps.map((s) => s.items!);
  const count = forms.length;
  // One share of scratch per thread for every block: the largest any block needs.
  const share = roundUp(Math.max(0, ...forms.map((f) => (f.scratch ? f.template[f.scratch.threadWord]! : 0))), ALIGN);
  const perThread = roundUp(count * ROUND_WORDS * 8, ALIGN);
  const threads = runner.threads;
  const privateAt = regionOffset + threads * perThread;
  const kernels = new Map<number, (...bases: number[]) => void>();
  for (const f of forms) if (f.kernel) kernels.set(f.kernel.id, f.kernel.run);
  const kernelOf = (id: number): ((...bases: number[]) => void) => {
    const k = kernels.get(id);
    if (!k) throw new Error(`item round: no loop kernel ${id}`);
    return k;
  };
  // Each access with its element size and, for a private value, its byte offset in a thread's region.
  const accesses = forms.map((f) => [...f.reads, f.write].map((a) => ({ ...a, es: bytesOf(slots[a.slot]!.dtype), own: privates.has(a.slot) ? placed.offsets.get(a.slot)! : undefined })));
  const shared = [...run.written].filter((id) => !privates.has(id));
  const reads = new Set<number>();
  for (const s of run.steps) for (const r of s.reads) if (!privates.has(r)) reads.add(r);

  const runRound = (ctx: RunContext): void => {
    const f64 = ctx.f64;
    const scratch = roundUp(ctx.scratch, ALIGN);
    for (let t = 0; t < threads; t++) {
      const blocks = (ctx.segments + regionOffset + t * perThread) / 8;
      const own = ctx.segments + privateAt + t * privateBytes;
      for (let s = 0; s < count; s++) {
        const form = forms[s]!;
        const at = blocks + s * ROUND_WORDS;
        f64.set(form.template, at);
        if (form.scratch) {
          f64[at + form.scratch.word] = scratch;
          f64[at + form.scratch.threadWord] = share;
        }
        for (const a of accesses[s]!) {
          // A private value: this thread's one item of it, the same for every item it takes.
          const base = a.own !== undefined ? (own + a.own) / a.es : ctx.base[a.slot]!;
          f64[at + a.word] = (base + a.offset) * a.scale;
          f64[at + a.strideWord] = a.own !== undefined ? 0 : a.stride * a.scale;
        }
      }
    }
    runner.runItems(ctx.segments + regionOffset, count, perThread, items, kernelOf);
  };
  const step: Step = {
    label: `items ${run.steps[0]!.label.split(" ").slice(1).join(" ")}..${run.steps.at(-1)!.label.split(" ").slice(1).join(" ")} (${count} steps x ${items})`,
    reads: [...reads],
    writes: shared[0] ?? -1,
    alsoWrites: shared.slice(1),
    inner: run.steps,
    run: runRound,
  };
  return { step, bytes: privateAt - regionOffset + threads * privateBytes, scratchBytes: share > 0 ? ALIGN + threads * share : 0 };
}
