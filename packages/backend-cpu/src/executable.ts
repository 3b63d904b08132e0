import { type BackendLife, type CompileOptions, type DeviceTensor, type Executable, ExecutableLife, type Feeds, FeedError, type Program, isDeviceTensor } from "@unfold/core";
import type { Arena } from "./memory.js";
import { assignWorkspace } from "./plan/liveness.js";
import type { LoweredPlan } from "./plan/lower.js";
import { type RunContext, bytesOf } from "./steps/step.js";
import { CpuTensor } from "./tensor.js";

/**
 * A lowered program bound to an arena: workspace, staging for host feeds, constants and scratch
 * are placed once here; each run binds feeds, allocates its outputs and runs the steps.
 */
/** Milliseconds spent per kind of step (matmul, softmax, sum, mul, ...) over one run. */
export type StepProfile = Record<string, { ms: number; count: number }>;

export interface CpuExecutable extends Executable {
  /** Runs once, timing every step: where the time goes. Outputs are discarded. */
  profile(feeds: Feeds): Promise<StepProfile>;
  /** Gives the executable's memory (workspace, inputs, constants) back to the backend; idempotent, and it cannot run afterwards. */
  release(): void;
}

/** Worker threads a run may keep awake: the matrix engine's. */
export interface WorkerHold {
  readonly minThreadedWork?: number;
  hold?(): void;
  release?(): void;
}

export function bindPlan(program: Program, plan: LoweredPlan, arena: Arena, options: CompileOptions, life: BackendLife, workers?: WorkerHold): CpuExecutable {
  // A run with a product large enough to thread keeps the workers awake from its first step to
  // its last (see Pool.hold); one without leaves them asleep.
  const wakes = plan.largestProduct >= (workers?.minThreadedWork ?? Infinity);
  const holdWorkers = wakes ? () => workers?.hold?.() : () => {};
  const releaseWorkers = wakes ? () => workers?.release?.() : () => {};
  const { offsets, bytes } = assignWorkspace(plan.slots, plan.steps);
  const owned: [number, number][] = [];
  const reserve = (n: number): number => {
    const at = arena.alloc(n);
    owned.push([at, n]);
    return at;
  };
  const lifecycle = new ExecutableLife(life, "cpu");
  const release = (): void => {
    // Idempotent: releasing a region twice would put it on the free list twice, and two later
    // allocations would then share bytes.
    if (!lifecycle.release()) return;
    if (arena.closed) return;
    owned.forEach(([at, n]) => arena.release(at, n));
  };
  const fixed = new Map<number, number>();
  let scratch: number;
  let segments: number;
  try {
    const workspace = reserve(bytes);
    scratch = reserve(plan.scratchBytes);
    segments = reserve(plan.segmentBytes);
    for (const slot of plan.slots) {
      const size = slot.elements * bytesOf(slot.dtype);
      if (slot.kind === "workspace") fixed.set(slot.id, workspace + (offsets.get(slot.id) ?? 0));
      if (slot.kind === "input") fixed.set(slot.id, reserve(size));
      if (slot.kind === "constant") {
        const at = reserve(size);
        const start = at / bytesOf(slot.dtype);
        arena.view(slot.dtype).set(slot.constant!, start);
        fixed.set(slot.id, at);
      }
    }
  } catch (error) {
    // Out of memory part way: give back what was already reserved.
    release();
    throw error;
  }
  const outputSlots = plan.slots.filter((s) => s.kind === "output");
  const execute = async (feeds: Feeds, timings?: StepProfile): Promise<Record<string, DeviceTensor>> => {
      // After dispose() the arena is closed; after release() the plan's regions may already hold
      // other tensors: running it would overwrite them.
      lifecycle.checkRunAndFeeds(program, feeds);
      const byteOffsets = new Float64Array(plan.slots.length);
      for (const [id, at] of fixed) byteOffsets[id] = at;
      for (const [name, id] of plan.feeds) {
        const feed = feeds[name]!;
        if (isDeviceTensor(feed)) {
          const t = feed as CpuTensor;
          if (t.arena !== arena) throw new FeedError("run", `feed '${name}' lives on another CPU backend instance`);
          byteOffsets[id] = t.offset;
        } else {
          arena.view(feed.dtype).set(feed.data, byteOffsets[id]! / bytesOf(feed.dtype));
        }
      }
      const results: Record<string, DeviceTensor> = {};
      for (const slot of outputSlots) {
        const t = new CpuTensor(arena, arena.alloc(slot.elements * bytesOf(slot.dtype)), program.nodes[program.outputs.find((o) => o.name === slot.outputs[0])!.id]!.shape, slot.dtype, slot.elements);
        byteOffsets[slot.id] = t.offset;
        results[slot.outputs[0]!] = t;
      }
      const base = byteOffsets.map((b, id) => b / bytesOf(plan.slots[id]!.dtype));
      const ctx: RunContext = { f32: arena.f32, f64: arena.f64, base, scratch, segments };
      if (options.poison) {
        // Item rounds' private values too (their blocks are written before each round runs).
        ctx.f32.fill(NaN, segments / 4, (segments + plan.segmentBytes) / 4);
        for (const slot of plan.slots) {
          if (slot.kind === "workspace" || slot.kind === "output") {
            const view = slot.dtype === "float32" ? ctx.f32 : ctx.f64;
            view.fill(NaN, base[slot.id]!, base[slot.id]! + slot.elements);
          }
        }
      }
      holdWorkers();
      try {
        if (!timings) for (const step of plan.steps) step.run(ctx);
        else {
          for (const step of plan.steps) {
            const t0 = performance.now();
            step.run(ctx);
            const kind = step.label.split(" ")[0]!;
            const entry = (timings[kind] ??= { ms: 0, count: 0 });
            entry.ms += performance.now() - t0;
            entry.count++;
          }
        }
      } catch (error) {
        for (const t of Object.values(results)) t.dispose();
        throw error;
      } finally {
        releaseWorkers();
      }
      return results;
  };
  return {
    program,
    release,
    run: (feeds) => execute(feeds),
    profile: async (feeds) => {
      const timings: StepProfile = {};
      for (const t of Object.values(await execute(feeds, timings))) t.dispose();
      return timings;
    },
  };
}
