/**
 * Kernel rounds: `chunks` calls of a loop kernel shared with the worker threads
 * (kernels/loops/loops-parallel.ts), chunk c with every access's base moved c steps on (element
 * offsets), the last chunk running `lastId`'s kernel (a shorter remainder).
 */
import { blockOf, defineLayout, ROUND_KIND, TOTAL_WORD } from "./layout.js";
import { roundRunner, type RunnerContext } from "./runner.js";

/** A kernel round's named words; its access table (bases, then steps) follows from KERNEL_TABLE. */
export const KERNEL_LAYOUT = defineLayout("kernel", ["id", "lastId", "accesses"]);
/** First word of the access table: the bases, then as many steps. One word past the names is left spare. */
export const KERNEL_TABLE = KERNEL_LAYOUT.end + 1;

/** Accesses a kernel round can carry: its bases and steps fill the words from KERNEL_TABLE, below TOTAL_WORD. */
export const KERNEL_ROUND_MAX_ACCESSES = Math.floor((TOTAL_WORD - KERNEL_TABLE) / 2);

/** The parameter block of a kernel round. */
export function kernelRound(id: number, lastId: number, bases: readonly number[], steps: readonly number[], chunks: number): Float64Array {
  if (bases.length > KERNEL_ROUND_MAX_ACCESSES || steps.length !== bases.length) throw new RangeError(`kernel round: ${bases.length} accesses (at most ${KERNEL_ROUND_MAX_ACCESSES})`);
  const params = blockOf(ROUND_KIND.kernel, KERNEL_LAYOUT, { id, lastId, accesses: bases.length, total: chunks });
  params.set(bases, KERNEL_TABLE);
  params.set(steps, KERNEL_TABLE + bases.length);
  return params;
}

/**
 * The bases of chunk `chunk` of a kernel round's block, into `bases`; returns the id of the kernel
 * that runs it (the last chunk's may differ). Self-contained: the workers run its source.
 */
export function kernelChunk(block: Float64Array, chunk: number, w: typeof KERNEL_LAYOUT.words, table: number, bases: number[]): number {
  const accesses = block[w.accesses]!;
  for (let k = 0; k < accesses; k++) bases.push(block[table + k]! + chunk * block[table + accesses + k]!);
  return chunk === block[w.total]! - 1 ? block[w.lastId]! : block[w.id]!;
}

/**
 * Runs chunk `chunk` of a kernel round's block on the calling thread, with the loop kernel
 * `kernelOf` gives for the block's id (the calling thread's instance of a shared module).
 */
export function runKernelBlock(block: Float64Array, chunk: number, kernelOf: (id: number) => (...bases: number[]) => void): void {
  const bases: number[] = [];
  const id = kernelChunk(block, chunk, KERNEL_LAYOUT.words, KERNEL_TABLE, bases);
  kernelOf(id)(...bases);
}

/** Moves a kernel round's bases (kernelRound) to another run's offsets, in place. */
export function setKernelRoundBases(params: Float64Array, bases: readonly number[]): void {
  if (bases.length !== params[KERNEL_LAYOUT.words.accesses]) throw new RangeError(`kernel round: ${bases.length} bases for ${params[KERNEL_LAYOUT.words.accesses]} accesses`);
  params.set(bases, KERNEL_TABLE);
}

/** The kernel round's runner: the context's `loop` (the caller's kernels, or a worker's shared ones). */
export const KERNEL_RUNNER = roundRunner(ROUND_KIND.kernel, KERNEL_LAYOUT, function runKernelRound(p: Float64Array, chunk: number, _thread: number, context: RunnerContext): void {
  context.loop!(p, chunk);
});
