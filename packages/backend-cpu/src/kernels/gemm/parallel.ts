/**
 * Multi-threaded GEMM, planned as rounds of chunks. In a round the main thread packs one block
 * of B (all of k, up to a budget of columns) into shared scratch; C's rows of that block are then
 * cut into a grid of chunks that the threads claim one at a time (threads/pool.ts), each packing
 * its own A rows into private scratch and running the macro-kernel against the shared packed B.
 * Claiming dynamically balances the load when a worker wakes late or the OS runs something else
 * on its core, and B is packed once instead of once per thread.
 *
 * The GEMM's kinds of work (a chunk of a threaded product, one item of a batch, a mirror tile)
 * each have a layout and a runner here. Runners must stay self-contained: worker threads run
 * their toString().
 */
import { type Blocking, type GemmKernels, SCRATCH_ALIGN, wasmScratchBytes } from "../../wasm/gemm-driver.js";
import { blockOf, defineLayout, ROUND_KIND } from "../../threads/layout.js";
import { roundRunner, type RunnerContext } from "../../threads/runner.js";
import type { BatchStrides, GemmCall } from "../../steps/calls.js";
import { plainScratchElements } from "./plain.js";

/**
 * A chunk of a threaded product's round. Offsets are bytes, strides elements. b and c are the
 * round's first column's; `packed` is the shared packed B; `scratch` and `perThread` place each
 * thread's private scratch; `plain` (1) runs the plain loops instead of the WebAssembly kernels;
 * `symmetric` (1) skips chunks strictly above the diagonal (the caller
 * mirrors them), `j0` is the round's first column.
 */
export const GEMM_LAYOUT = defineLayout("gemm", [
  "plain",
  "dtype",
  "m",
  "nc",
  "k",
  "a",
  "rsA",
  "csA",
  "b",
  "rsB",
  "csB",
  "c",
  "rsC",
  "packed",
  "rowBlock",
  "colBlock",
  "rowChunks",
  "colChunks",
  "scratch",
  "perThread",
  "mr",
  "nr",
  "kc",
  "ncPad",
  "symmetric",
  "j0",
]);

/** One item of a batched product: item 0's operands, the byte strides between items, the blocking. */
export const BATCH_LAYOUT = defineLayout("batch item", [
  "dtype",
  "m",
  "n",
  "k",
  "a",
  "rsA",
  "csA",
  "b",
  "rsB",
  "csB",
  "c",
  "rsC",
  "strideA",
  "strideB",
  "strideC",
  "mc",
  "nc",
  "scratch",
  "perThread",
  "mr",
  "nr",
  "kc",
  "symmetric",
]);

/** Mirror of a symmetric product's lower triangle: C as an element offset, rows per chunk. */
export const MIRROR_LAYOUT = defineLayout("mirror", ["dtype", "n", "c", "rsC", "tile"]);

/** Packed B of one round stays under this (an L2's worth): more columns make more rounds. */
const PACKED_B_BYTES = 4 << 20;
/** Chunks per thread to aim for: the last chunk's imbalance is then a few percent. */
const CHUNKS_PER_THREAD = 8;
/** The claim word keeps chunk indices in 16 bits (see threads/pool.ts). */
const MAX_CHUNKS = 0xfff0;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** One round: its parameter block, and (wasm) where to pack which block of B first. */
export interface Round {
  params: Float64Array;
  total: number;
  /** Columns [j0, j0 + nc) of B to pack at `packed` before the chunks run (wasm only). */
  j0: number;
  nc: number;
}

export interface ParallelPlan {
  rounds: Round[];
  scratchBytes: number;
}

/**
 * Plans a threaded call. `bl` is the wasm blocking, or undefined for the plain path (which packs
 * nothing shared). Scratch: [packed B block][thread 0 private][thread 1 private]...
 */
export function planParallel(call: GemmCall, threads: number, bl: Blocking | undefined, scratch: number): ParallelPlan {
  const { m, n, k } = call;
  const es = call.dtype === "float32" ? 4 : 8;
  const mr = bl ? bl.mr : 4;
  const nr = bl ? bl.nr : 4;
  // Column chunks start on 64-byte boundaries of C so threads never write one cache line.
  const colAlign = Math.max(nr, 64 / es);
  const roundCols = bl ? Math.max(colAlign, Math.floor(PACKED_B_BYTES / (k * es) / colAlign) * colAlign) : n;
  const ncMax = Math.min(n, roundCols);
  const ncPad = roundUp(ncMax, nr);
  const packedBytes = bl ? roundUp(k * ncPad * es, SCRATCH_ALIGN) : 0;

  // Chunk grid: rows in blocks of about MC, columns split further when rows alone are too few.
  const target = CHUNKS_PER_THREAD * threads;
  const mc = bl ? bl.mc : 32;
  let rowChunks = Math.min(Math.ceil(m / mc), MAX_CHUNKS);
  const rowBlock = roundUp(Math.ceil(m / rowChunks), mr);
  rowChunks = Math.ceil(m / rowBlock);
  const maxColChunks = Math.max(1, Math.floor(MAX_CHUNKS / rowChunks));
  const colChunksWanted = Math.min(maxColChunks, Math.max(1, Math.ceil(target / rowChunks)));
  const colBlock = Math.max(colAlign, roundUp(Math.ceil(ncMax / colChunksWanted), colAlign));

  const perThread = bl
    ? SCRATCH_ALIGN + roundUp(roundUp(rowBlock, mr) * Math.min(bl.kc, k) * es, SCRATCH_ALIGN) + mr * nr * es
    : SCRATCH_ALIGN + plainScratchElements(k) * es;
  const base = roundUp(scratch, SCRATCH_ALIGN);

  const rounds: Round[] = [];
  for (let j0 = 0; j0 < n; j0 += ncMax) {
    const nc = Math.min(ncMax, n - j0);
    const colChunks = Math.ceil(nc / colBlock);
    const total = rowChunks * colChunks;
    const params = blockOf(ROUND_KIND.gemmChunk, GEMM_LAYOUT, {
      plain: bl ? 0 : 1,
      dtype: es === 8 ? 1 : 0,
      m,
      nc,
      k,
      a: call.a,
      rsA: call.rsA,
      csA: call.csA,
      b: call.b + j0 * call.csB * es,
      rsB: call.rsB,
      csB: call.csB,
      c: call.c + j0 * es,
      rsC: call.rsC,
      packed: base,
      rowBlock,
      colBlock,
      rowChunks,
      colChunks,
      scratch: base + packedBytes,
      perThread,
      mr,
      nr,
      kc: bl ? bl.kc : 0,
      ncPad: roundUp(nc, nr),
      total,
      symmetric: call.symmetric ? 1 : 0,
      j0,
    });
    rounds.push({ params, total, j0, nc });
  }
  return { rounds, scratchBytes: SCRATCH_ALIGN + packedBytes + threads * perThread };
}

/**
 * A round over the items of a batched product, one item a chunk, each computed whole on one
 * thread (wasmGemm in its thread's private scratch). For batches of products too small to split
 * one by one: one wake-up for the batch instead of one per item, and no shared packing.
 * Items are evenly spaced: item t's operands start `stride` bytes after item t - 1's.
 */
export function planBatched(call: GemmCall, count: number, strides: BatchStrides, bl: Blocking, threads: number, scratch: number): { params: Float64Array; scratchBytes: number } {
  const es = call.dtype === "float32" ? 4 : 8;
  const perThread = wasmScratchBytes(es, bl, call.m, call.n, call.k);
  const params = blockOf(ROUND_KIND.batchItem, BATCH_LAYOUT, {
    dtype: es === 8 ? 1 : 0,
    m: call.m,
    n: call.n,
    k: call.k,
    a: call.a,
    rsA: call.rsA,
    csA: call.csA,
    b: call.b,
    rsB: call.rsB,
    csB: call.csB,
    c: call.c,
    rsC: call.rsC,
    strideA: strides.a,
    strideB: strides.b,
    strideC: strides.c,
    mc: bl.mc,
    nc: bl.nc,
    scratch: roundUp(scratch, SCRATCH_ALIGN),
    perThread,
    mr: bl.mr,
    nr: bl.nr,
    kc: bl.kc,
    total: count,
    // A symmetric item computes its lower triangle and mirrors it (wasmGemm).
    symmetric: call.symmetric ? 1 : 0,
  });
  return { params, scratchBytes: SCRATCH_ALIGN + threads * perThread };
}

/**
 * The words of a batch item's block where each operand's base and its stride between items sit
 * (bytes), and where the scratch base and each thread's share of it go (thread h's scratch starts
 * h shares after the base), for item rounds (plan/segments.ts).
 */
export const BATCH_ITEM_WORDS = {
  a: [BATCH_LAYOUT.words.a, BATCH_LAYOUT.words.strideA],
  b: [BATCH_LAYOUT.words.b, BATCH_LAYOUT.words.strideB],
  c: [BATCH_LAYOUT.words.c, BATCH_LAYOUT.words.strideC],
  scratch: [BATCH_LAYOUT.words.scratch, BATCH_LAYOUT.words.perThread],
} as const;

/** Rows of C each mirror chunk copies (a tile: both the rows written and the block read stay in cache). */
export const MIRROR_TILE = 32;

/** A round that mirrors the lower triangle of an n x n C (element offset c, row stride rsC) onto the upper. */
export function planMirror(dtype: "float32" | "float64", n: number, c: number, rsC: number): Float64Array {
  return blockOf(ROUND_KIND.mirror, MIRROR_LAYOUT, { dtype: dtype === "float64" ? 1 : 0, n, c, rsC, tile: MIRROR_TILE, total: Math.ceil(n / MIRROR_TILE) });
}

/** Packs the round's block of B (all of k) into the shared scratch, one KC slab after another. */
export function packRoundB(ex: GemmKernels, p: Float64Array): void {
  const w = GEMM_LAYOUT.words;
  const es = p[w.dtype] ? 8 : 4;
  const k = p[w.k]!;
  const kcMax = p[w.kc]!;
  const ncPad = p[w.ncPad]!;
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    ex.packB(p[w.b]! + pc * p[w.rsB]! * es, p[w.csB]! * es, p[w.rsB]! * es, p[w.nc]!, kc, p[w.packed]! + pc * ncPad * es);
  }
}

/**
 * Chunk `chunk` of a threaded product's round on thread `thread`: rows [i0, i0 + rows) by
 * columns [j0, j0 + cols) of the round's block, on the WebAssembly kernels (against the shared
 * packed B) or, for the plain kind, on the plain loops.
 */
function runGemmChunk(p: Float64Array, chunk: number, thread: number, context: RunnerContext, w: typeof GEMM_LAYOUT.words): void {
  const es = p[w.dtype] ? 8 : 4;
  const rb = Math.floor(chunk / p[w.colChunks]!);
  const i0 = rb * p[w.rowBlock]!;
  const j0 = (chunk - rb * p[w.colChunks]!) * p[w.colBlock]!;
  const rows = Math.min(p[w.rowBlock]!, p[w.m]! - i0);
  // A symmetric product computes only the lower triangle: each chunk's columns stop at its last
  // row (the caller mirrors the rest), and a chunk wholly above the diagonal does nothing.
  const cols = p[w.symmetric] ? Math.min(p[w.colBlock]!, p[w.nc]! - j0, i0 + rows - p[w.j0]! - j0) : Math.min(p[w.colBlock]!, p[w.nc]! - j0);
  if (cols <= 0) return;
  const k = p[w.k]!;
  const s = Math.ceil((p[w.scratch]! + thread * p[w.perThread]!) / 64) * 64;
  const a = p[w.a]! + i0 * p[w.rsA]! * es;
  const c = p[w.c]! + (i0 * p[w.rsC]! + j0) * es;
  if (p[w.plain]) {
    const h = p[w.dtype] ? new Float64Array(context.memory.buffer) : new Float32Array(context.memory.buffer);
    context.plain(h, rows, cols, k, a / es, p[w.rsA]!, p[w.csA]!, (p[w.b]! + j0 * p[w.csB]! * es) / es, p[w.rsB]!, p[w.csB]!, c / es, p[w.rsC]!, s / es);
    return;
  }
  const ex = context.kernels[p[w.dtype]!]!;
  const mr = p[w.mr]!;
  const kcMax = p[w.kc]!;
  const ncPad = p[w.ncPad]!;
  const tmp = s + Math.ceil((Math.ceil(p[w.rowBlock]! / mr) * mr * Math.min(kcMax, k) * es) / 64) * 64;
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    // Slab pc of the packed block starts at pc * ncPad; column j0's panel at j0 * kc within it.
    ex.packA(a + pc * p[w.csA]! * es, p[w.rsA]! * es, p[w.csA]! * es, rows, kc, s);
    ex.macro(rows, cols, kc, s, p[w.packed]! + (pc * ncPad + j0 * kc) * es, c, p[w.rsC]! * es, pc > 0 ? 1 : 0, tmp);
  }
}

/** One item of a batched product, whole, in the thread's private scratch. */
function runBatchItem(p: Float64Array, chunk: number, thread: number, context: RunnerContext, w: typeof BATCH_LAYOUT.words): void {
  const es = p[w.dtype] ? 8 : 4;
  const bl = { mr: p[w.mr]!, nr: p[w.nr]!, mc: p[w.mc]!, kc: p[w.kc]!, nc: p[w.nc]! };
  context.single(
    context.kernels[p[w.dtype]!]!,
    es,
    bl,
    p[w.m]!,
    p[w.n]!,
    p[w.k]!,
    p[w.a]! + chunk * p[w.strideA]!,
    p[w.rsA]!,
    p[w.csA]!,
    p[w.b]! + chunk * p[w.strideB]!,
    p[w.rsB]!,
    p[w.csB]!,
    p[w.c]! + chunk * p[w.strideC]!,
    p[w.rsC]!,
    p[w.scratch]! + thread * p[w.perThread]!,
    p[w.symmetric] === 1 ? 1 : 0,
  );
}

/**
 * Chunk r of a mirror writes rows [r0, r0 + tile) right of the diagonal, tile by tile, each tile
 * read from a square block below the diagonal (the mirror kernel, or plain loops without SIMD).
 */
function runMirror(p: Float64Array, chunk: number, _thread: number, context: RunnerContext, w: typeof MIRROR_LAYOUT.words): void {
  const n = p[w.n]!;
  const c0 = p[w.c]!;
  const rs = p[w.rsC]!;
  const tile = p[w.tile]!;
  const ib = chunk * tile;
  const iEnd = Math.min(ib + tile, n);
  const ex = context.kernels[p[w.dtype]!];
  if (ex) {
    const es = p[w.dtype] ? 8 : 4;
    ex.mirror(c0 * es, rs * es, n, ib, iEnd);
    return;
  }
  const h = p[w.dtype] ? new Float64Array(context.memory.buffer) : new Float32Array(context.memory.buffer);
  for (let jb = ib; jb < n; jb += tile) {
    const jEnd = Math.min(jb + tile, n);
    for (let i = ib; i < iEnd; i++) {
      const row = c0 + i * rs;
      for (let j = Math.max(jb, i + 1); j < jEnd; j++) h[row + j] = h[c0 + j * rs + i]!;
    }
  }
}

/** The GEMM's runners: threaded chunks (WebAssembly and plain), batch items, mirror tiles. */
export const GEMM_RUNNERS = [
  roundRunner(ROUND_KIND.gemmChunk, GEMM_LAYOUT, runGemmChunk),
  roundRunner(ROUND_KIND.batchItem, BATCH_LAYOUT, runBatchItem),
  roundRunner(ROUND_KIND.mirror, MIRROR_LAYOUT, runMirror),
];
