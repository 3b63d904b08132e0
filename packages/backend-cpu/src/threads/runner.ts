/**
 * Runners: one function per kind of work, taking chunk `chunk` of a block on thread `thread`.
 * The worker threads run the same functions, compiled from their source (pool.ts), so a runner
 * must be self-contained: everything it uses comes in through its arguments, its layout's words
 * included (passed to the workers in their start message, never written into the source by hand).
 */
import type { GemmKernels, PlainProduct, wasmGemm } from "../wasm/gemm-driver.js";
import type { LayoutWords, RoundKind, RoundLayout } from "./layout.js";

/** What every runner may use, on the calling thread and on each worker alike. */
export interface RunnerContext {
  readonly memory: WebAssembly.Memory;
  /** The shared kernel module's exports, by dtype code (0 float32, 1 float64); empty without SIMD. */
  readonly kernels: readonly GemmKernels[];
  /** The single-thread products: blocked on the WebAssembly kernels, and the plain loops. */
  readonly single: typeof wasmGemm;
  readonly plain: PlainProduct;
  /** The runners by kind, for rounds that run other blocks (item rounds). */
  readonly runners: Readonly<Record<number, RegisteredRunner>>;
  /** Runs a kernel-round block's chunk (a shared loop kernel); the caller's or the worker's way. */
  readonly loop?: (block: Float64Array, chunk: number) => void;
}

/** Takes chunk `chunk` of block `p` on thread `thread`, reading `p` through `w`. */
export type Runner<Name extends string = string> = (p: Float64Array, chunk: number, thread: number, context: RunnerContext, w: LayoutWords<Name>) => void;

/** A kind of work: its kind number, the layout its blocks are written in, and its runner. */
export interface RoundRunner<Name extends string = string> {
  readonly kind: RoundKind;
  readonly layout: RoundLayout<Name>;
  readonly run: Runner<Name>;
}

/** A runner as the dispatch finds it: the layout reduced to its words. */
export interface RegisteredRunner {
  readonly words: LayoutWords<string>;
  readonly run: Runner;
}

/** A kind of work, typed by its layout's names (the registry keeps them apart by kind). */
export function roundRunner<Name extends string>(kind: RoundKind, layout: RoundLayout<Name>, run: Runner<Name>): RoundRunner {
  return { kind, layout, run: run as Runner };
}

/** The runners by kind; two runners of one kind are a mistake, named here. */
export function registerRunners(runners: readonly RoundRunner[]): Record<number, RegisteredRunner> {
  const table: Record<number, RegisteredRunner> = {};
  for (const r of runners) {
    if (table[r.kind]) throw new Error(`round kind ${r.kind} has two runners ('${r.layout.name}' and another)`);
    table[r.kind] = { words: r.layout.words, run: r.run };
  }
  return table;
}

/** Runs chunk `chunk` of any block by its kind. Self-contained: workers run its source. */
export function dispatchChunk(p: Float64Array, chunk: number, thread: number, context: RunnerContext): void {
  const entry = context.runners[p[0]!];
  if (!entry) throw new Error(`no runner for round kind ${p[0]}`);
  entry.run(p, chunk, thread, context, entry.words);
}
