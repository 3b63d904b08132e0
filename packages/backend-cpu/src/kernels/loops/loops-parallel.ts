/**
 * Loop kernels shared among the worker threads: a large elementwise loop or reduction is cut
 * along its outermost kept axis into a few chunks, and the threads claim chunks as they claim a
 * product's (threads/pool.ts). Each chunk runs the very kernel the single-threaded plan would (the same
 * spec, a shorter extent on that axis, the bases moved on), so results are bit for bit those
 * of one thread. With the workers held awake through a run (Threads.hold) a round costs ~10 us.
 */
import { KERNEL_ROUND_MAX_ACCESSES, kernelRound, setKernelRoundBases } from "../../threads/kernel-round.js";
import type { LoopKernelSpec } from "./loops.js";
import { instantiateLoop, wasmLoopModule } from "./loops-wasm.js";
import { itemAccess, type ItemForm } from "../../steps/items.js";

/** What a parallel loop needs of the worker threads (the backend's, threads/threads.ts). */
export interface KernelThreads {
  readonly threads: number;
  shareKernel(module: WebAssembly.Module): number | undefined;
  /** Returns how many chunks the calling thread ran. */
  runKernelRound(params: Float64Array, work: (chunk: number) => void): number;
}

/** Runs a spec's kernel over the threads: element offsets of each input, then of the output. */
export type ParallelLoop = (bases: readonly number[]) => void;
/** A spec's threaded runner, or undefined where it runs on the calling thread (too small, no SIMD form). */
export type ParallelLoops = (spec: LoopKernelSpec) => ParallelLoop | undefined;

/**
 * Loops of fewer elements stay on the calling thread: at 1-3 ns an element, 32K take 30-100 us,
 * several times a round's cost.
 */
export const LOOP_SPLIT_MIN_ELEMENTS = 1 << 15;
/** Chunks per thread: enough that a thread starting late still finds work. */
const CHUNKS_PER_THREAD = 2;

interface SharedKernel {
  readonly id: number;
  readonly run: (...bases: number[]) => void;
}

export function createParallelLoops(memory: WebAssembly.Memory, threads: KernelThreads): ParallelLoops {
  const kernels = new Map<WebAssembly.Module, SharedKernel>();
  const share = (module: WebAssembly.Module): SharedKernel | undefined => {
    let kernel = kernels.get(module);
    if (!kernel) {
      const id = threads.shareKernel(module);
      if (id === undefined) return undefined;
      kernel = { id, run: instantiateLoop(module, memory) };
      kernels.set(module, kernel);
    }
    return kernel;
  };
  return (spec) => {
    if (threads.threads < 2) return undefined;
    const accesses = [...spec.inputs, spec.output];
    if (accesses.length > KERNEL_ROUND_MAX_ACCESSES) return undefined;
    if (spec.shape.reduce((a, b) => a * b, 1) < LOOP_SPLIT_MIN_ELEMENTS) return undefined;
    // The outermost kept axis that has something to split: chunks then write disjoint outputs.
    const reduced = new Set(spec.reduce?.axes ?? []);
    const axis = spec.shape.findIndex((extent, a) => !reduced.has(a) && extent >= 2 && spec.output.strides[a] !== 0);
    if (axis < 0) return undefined;
    const extent = spec.shape[axis]!;
    const per = Math.ceil(extent / Math.min(extent, CHUNKS_PER_THREAD * threads.threads));
    const chunks = Math.ceil(extent / per);
    const withExtent = (n: number): LoopKernelSpec => ({ ...spec, shape: spec.shape.map((e, a) => (a === axis ? n : e)) });
    const regularModule = wasmLoopModule(withExtent(per), true);
    const lastModule = wasmLoopModule(withExtent(extent - (chunks - 1) * per), true);
    if (!regularModule || !lastModule) return undefined;
    const regular = share(regularModule);
    const last = share(lastModule);
    if (!regular || !last) return undefined;
    const steps = accesses.map((a) => per * a.strides[axis]!);
    // One parameter block per loop, its bases rewritten each run (the pool copies it out).
    const params = kernelRound(regular.id, last.id, steps.map(() => 0), steps, chunks);
    return (bases) => {
      setKernelRoundBases(params, bases);
      threads.runKernelRound(params, (chunk) => (chunk === chunks - 1 ? last : regular).run(...bases.map((b, k) => b + chunk * steps[k]!)));
    };
  };
}

/** A loop kernel over one index of a spec's leading axis, shared with the worker threads: its id there, and its run here. */
export interface ItemLoop {
  readonly id: number;
  readonly run: (...bases: number[]) => void;
}
/** The item loop of a spec whose leading axis runs over items, or undefined where there is none. */
export type ItemLoops = (spec: LoopKernelSpec) => ItemLoop | undefined;

/** Item loops (for item rounds, plan/segments.ts) over the worker threads' kernels. */
export function createItemLoops(memory: WebAssembly.Memory, threads: KernelThreads): ItemLoops {
  const kernels = new Map<WebAssembly.Module, ItemLoop | undefined>();
  return (spec) => {
    const items = spec.shape[0] ?? 0;
    if (threads.threads < 2 || items < 2 || spec.inputs.length + 1 > KERNEL_ROUND_MAX_ACCESSES) return undefined;
    // Each item writes its own outputs: the leading axis is kept, not reduced or broadcast.
    if (spec.reduce?.axes.includes(0) || spec.output.strides[0] === 0) return undefined;
    const module = wasmLoopModule({ ...spec, shape: [1, ...spec.shape.slice(1)] }, true);
    if (!module) return undefined;
    if (!kernels.has(module)) {
      const id = threads.shareKernel(module);
      kernels.set(module, id === undefined ? undefined : { id, run: instantiateLoop(module, memory) });
    }
    return kernels.get(module);
  };
}

/** The item form of a loop (its item kernel, spec, inputs' slots and offsets, output slot). */
export function loopItemForm(kernel: ItemLoop, spec: LoopKernelSpec, inputs: readonly (readonly [number, number])[], out: number): ItemForm {
  const items = spec.shape[0]!;
  const accesses = inputs.length + 1;
  const words = (k: number): { word: number; strideWord: number; scale: number } => ({ word: 5 + k, strideWord: 5 + accesses + k, scale: 1 });
  const zeros = new Array<number>(accesses).fill(0);
  return {
    items,
    reads: inputs.map(([slot, offset], k) => itemAccess(slot, offset, spec.shape, spec.inputs[k]!.strides, items, words(k))),
    write: itemAccess(out, 0, spec.shape, spec.output.strides, items, words(accesses - 1)),
    template: kernelRound(kernel.id, kernel.id, zeros, zeros, items),
    kernel,
    work: spec.shape.reduce((a, b) => a * b, 1) / items,
  };
}
