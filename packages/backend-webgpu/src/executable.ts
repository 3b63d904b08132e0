import { type BackendLife, type CompileOptions, type DeviceTensor, type Executable, ExecutableLife, FeedError, type Feeds, type Program, checkFeeds, isDeviceTensor } from "@unfold/core";
import { kernelCode } from "./codegen/index.js";
import type { GpuContext } from "./context.js";
import { assignWorkspace } from "./plan/liveness.js";
import type { Plan } from "./plan/lower.js";
import { type PooledBuffer, sizeClass } from "./pool.js";
import { WEBGPU_BACKEND, WebGpuTensor } from "./tensor.js";

/** A kernel ready to dispatch: its pipeline, launch shape, the slots it binds, and bind groups by buffers. */
interface BoundKernel {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly workgroups: readonly [number, number, number];
  readonly bindings: readonly number[];
  readonly groups: Map<string, GPUBindGroup>;
}

/** A fill of one buffer with NaN, for the poison option. */
interface PoisonFill {
  readonly pipeline: GPUComputePipeline;
  readonly workgroups: readonly [number, number, number];
  readonly groups: Map<string, GPUBindGroup>;
}

/** Bind groups kept per kernel: a plan's fixed buffers hit one; feeds and outputs vary a little. */
const BIND_GROUPS_PER_KERNEL = 8;

/** Milliseconds and dispatch counts per kind of kernel over one profiled run. */
export type KernelProfile = Record<string, { ms: number; count: number }>;

export interface WebGpuExecutable extends Executable {
  /** Number of kernel dispatches per run (poison fills not counted). */
  readonly dispatches: number;
  /** The kernels of a run, in order: what each dispatch computes. */
  readonly labels: readonly string[];
  /**
   * Runs once with every dispatch submitted and awaited on its own, timing each: where the time
   * goes, by kind of kernel (matmul, softmax, sum, ...). Slower than run; outputs are discarded.
   */
  profile(feeds: Feeds): Promise<KernelProfile>;
  /** Returns the executable's buffers to the pool; idempotent. The backend's dispose() releases every executable. */
  release(): void;
}

/**
 * A plan bound to a device: pipelines built (through the shared cache), workspace buffers
 * taken from the pool once and shared by liveness, constants uploaded. Each run writes host
 * feeds to staging buffers, takes output buffers from the pool, records every dispatch into
 * one compute pass and submits once; outputs come back as resident tensors.
 */
export async function bindPlan(program: Program, plan: Plan, context: GpuContext, options: CompileOptions, life: BackendLife): Promise<WebGpuExecutable> {
  const { device, pool, pipelines, state } = context;
  const codes = plan.steps.map((step) => ({ step, code: kernelCode(step.spec, step.out, context.target) }));
  const built = await Promise.all(codes.map(({ step, code }) => pipelines.get(code.wgsl, step.label)));
  const kernels: BoundKernel[] = codes.map(({ step, code }, i) => ({
    label: step.label,
    pipeline: built[i]!,
    workgroups: code.workgroups,
    bindings: code.bindings,
    groups: new Map(),
  }));

  const owned: PooledBuffer[] = [];
  const fixed: (PooledBuffer | undefined)[] = new Array(plan.slots.length);
  const { buffers, slotBuffer } = assignWorkspace(plan.slots, plan.steps, context.maxBindingBytes);
  const workspace = buffers.map((bytes) => pool.acquire(bytes));
  owned.push(...workspace);
  for (const [slot, b] of slotBuffer) fixed[slot] = workspace[b];
  for (const slot of plan.slots) {
    if (slot.kind !== "constant") continue;
    const buffer = pool.acquire(slot.elements * 4);
    owned.push(buffer);
    device.queue.writeBuffer(buffer.buffer, 0, Float32Array.from(slot.constant!));
    fixed[slot.id] = buffer;
  }
  const outputSlots = plan.slots.filter((s) => s.kind === "output");
  const outputShape = new Map(program.outputs.map((o) => [o.name, program.nodes[o.id]!.shape]));

  // Poison fills cover every buffer a run writes (the shared workspace and the outputs), one
  // pipeline per buffer size, built here so a run never waits between feeding and submitting.
  const fills = new Map<number, PoisonFill>();
  if (options.poison) {
    const sizes = new Set([...workspace.map((b) => b.bytes), ...outputSlots.map((s) => sizeClass(s.elements * 4, context.maxBindingBytes))]);
    await Promise.all(
      [...sizes].map(async (bytes) => {
        const code = kernelCode({ kind: "elementwise", shape: [bytes / 4], leaves: [], expr: { kind: "const", value: Number.NaN } }, 0);
        fills.set(bytes, { pipeline: await pipelines.get(code.wgsl, "poison fill"), workgroups: code.workgroups, groups: new Map() });
      }),
    );
  }

  const bindGroup = (pipeline: GPUComputePipeline, cache: Map<string, GPUBindGroup>, buffers: readonly PooledBuffer[]): GPUBindGroup => {
    const key = buffers.map((b) => b.id).join(",");
    let group = cache.get(key);
    if (!group) {
      if (cache.size >= BIND_GROUPS_PER_KERNEL) cache.delete(cache.keys().next().value!);
      group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((b, i) => ({ binding: i, resource: { buffer: b.buffer } })) });
      cache.set(key, group);
    }
    return group;
  };

  const staging = new Map<number, PooledBuffer>();
  const lifecycle = new ExecutableLife(life, "webgpu");

  /** Binds feeds and fresh outputs for one run: the buffer of every slot, and the output tensors. */
  const prepare = (feeds: Feeds): { current: (PooledBuffer | undefined)[]; results: Record<string, DeviceTensor> } => {
    lifecycle.checkRun();
    state.check("run");
    checkFeeds(program, feeds, WEBGPU_BACKEND);
    const current = fixed.slice();
    for (const [name, slot] of plan.feeds) {
      const feed = feeds[name]!;
      if (isDeviceTensor(feed)) {
        const t = feed as WebGpuTensor;
        if (t.context !== context) throw new FeedError("run", `feed '${name}' lives on another WebGPU backend instance`);
        current[slot] = t.buffer;
      } else {
        let buffer = staging.get(slot);
        if (!buffer) {
          buffer = pool.acquire(plan.slots[slot]!.elements * 4);
          staging.set(slot, buffer);
          owned.push(buffer);
        }
        const data = feed.data instanceof Float32Array ? feed.data : Float32Array.from(feed.data);
        if (data.length > 0) device.queue.writeBuffer(buffer.buffer, 0, data);
        current[slot] = buffer;
      }
    }
    const results: Record<string, DeviceTensor> = {};
    for (const slot of outputSlots) {
      const buffer = pool.acquire(slot.elements * 4);
      current[slot.id] = buffer;
      results[slot.output!] = new WebGpuTensor(life, context, buffer, outputShape.get(slot.output!)!, slot.elements);
    }
    return { current, results };
  };

  const run = async (feeds: Feeds): Promise<Record<string, DeviceTensor>> => {
    const { current, results } = prepare(feeds);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    if (options.poison) {
      const targets = [...workspace, ...outputSlots.map((s) => current[s.id]!)];
      for (const target of targets) {
        const fill = fills.get(target.bytes)!;
        pass.setPipeline(fill.pipeline);
        pass.setBindGroup(0, bindGroup(fill.pipeline, fill.groups, [target]));
        pass.dispatchWorkgroups(...fill.workgroups);
      }
    }
    for (const k of kernels) {
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, bindGroup(k.pipeline, k.groups, k.bindings.map((s) => current[s]!)));
      pass.dispatchWorkgroups(...k.workgroups);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    context.counts.submits++;
    return results;
  };

  const profile = async (feeds: Feeds): Promise<KernelProfile> => {
    const { current, results } = prepare(feeds);
    const timings: KernelProfile = {};
    await device.queue.onSubmittedWorkDone();
    for (const k of kernels) {
      const t0 = performance.now();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, bindGroup(k.pipeline, k.groups, k.bindings.map((s) => current[s]!)));
      pass.dispatchWorkgroups(...k.workgroups);
      pass.end();
      device.queue.submit([encoder.finish()]);
      context.counts.submits++;
      await device.queue.onSubmittedWorkDone();
      const kind = k.label.split(" ")[0]!;
      const entry = (timings[kind] ??= { ms: 0, count: 0 });
      entry.ms += performance.now() - t0;
      entry.count++;
    }
    for (const t of Object.values(results)) t.dispose();
    return timings;
  };

  return {
    program,
    dispatches: kernels.length,
    labels: kernels.map((k) => k.label),
    run,
    profile,
    release: () => {
      if (lifecycle.release()) owned.forEach((b) => pool.release(b));
    },
  };
}
