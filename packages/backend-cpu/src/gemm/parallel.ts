/**
 * Multi-threaded GEMM, planned as rounds of chunks. In a round the main thread packs one block
 * of B (all of k, up to a budget of columns) into shared scratch; C's rows of that block are then
 * cut into a grid of chunks that the threads claim one at a time (pool.ts), each packing its own
 * A rows into private scratch and running the macro-kernel against the shared packed B. Claiming
 * dynamically balances the load when a worker wakes late or the OS runs something else on its
 * core, and B is packed once instead of once per thread.
 *
 * `runChunk` must stay self-contained: worker threads run its toString().
 */
import { type Blocking, type GemmKernels, SCRATCH_ALIGN, type wasmGemm, wasmScratchBytes } from "./driver.js";
import { plainScratchElements, type plainGemm } from "./plain.js";
import type { GemmCall, GramSoftmaxCall } from "./call.js";
import { gramTotalsBytes } from "../kernels/gram-softmax-wasm.js";

/** Words of a round's parameter block (Float64), laid out as the comments in runChunk say. */
export const ROUND_WORDS = 29;
/** Index of the chunk count in a round's parameter block. */
export const TOTAL_WORD = 24;

/** Packed B of one round stays under this (an L2's worth): more columns make more rounds. */
const PACKED_B_BYTES = 4 << 20;
/** Chunks per thread to aim for: the last chunk's imbalance is then a few percent. */
const CHUNKS_PER_THREAD = 8;
/** The claim word keeps chunk indices in 16 bits (see pool.ts). */
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
    const params = new Float64Array(ROUND_WORDS);
    params.set([
      bl ? 1 : 2,
      es === 8 ? 1 : 0,
      m,
      nc,
      k,
      call.a,
      call.rsA,
      call.csA,
      call.b + j0 * call.csB * es,
      call.rsB,
      call.csB,
      call.c + j0 * es,
      call.rsC,
      base,
      rowBlock,
      colBlock,
      rowChunks,
      colChunks,
      base + packedBytes,
      perThread,
      mr,
      nr,
      bl ? bl.kc : 0,
      roundUp(nc, nr),
      total,
      call.symmetric ? 1 : 0,
      j0,
    ]);
    rounds.push({ params, total, j0, nc });
  }
  return { rounds, scratchBytes: SCRATCH_ALIGN + packedBytes + threads * perThread };
}

/**
 * A round of float32 softmax rows for the pool: chunks of whole rows, aligned to the bias's
 * period so every chunk starts at a bias row's first row (the kernel counts periods from there).
 */
export function planSoftmaxRows(x: number, bias: number, out: number, rows: number, cols: number, period: number, threads: number): Float64Array {
  let perChunk = Math.max(1, Math.ceil(rows / (threads * CHUNKS_PER_THREAD)));
  if (bias >= 0 && period < rows) perChunk = roundUp(perChunk, period);
  const params = new Float64Array(ROUND_WORDS);
  params.set([3, bias >= 0 ? 1 : 0, rows, cols, x, Math.max(bias, 0), out, period, perChunk]);
  params[TOTAL_WORD] = Math.ceil(rows / perChunk);
  return params;
}

/**
 * A round over the items of a batched product, one item a chunk, each computed whole on one
 * thread (wasmGemm in its thread's private scratch). For batches of products too small to split
 * one by one: one wake-up for the batch instead of one per item, and no shared packing.
 * Items are evenly spaced: item t's operands start `stride` bytes after item t - 1's.
 */
export function planBatched(
  call: GemmCall,
  count: number,
  strides: { readonly a: number; readonly b: number; readonly c: number },
  bl: Blocking,
  threads: number,
  scratch: number,
): { params: Float64Array; scratchBytes: number } {
  const es = call.dtype === "float32" ? 4 : 8;
  const perThread = wasmScratchBytes(es, bl, call.m, call.n, call.k);
  const params = new Float64Array(ROUND_WORDS);
  params.set([
    6,
    es === 8 ? 1 : 0,
    call.m,
    call.n,
    call.k,
    call.a,
    call.rsA,
    call.csA,
    call.b,
    call.rsB,
    call.csB,
    call.c,
    call.rsC,
    strides.a,
    strides.b,
    strides.c,
    bl.mc,
    bl.nc,
    roundUp(scratch, SCRATCH_ALIGN),
    perThread,
    bl.mr,
    bl.nr,
    bl.kc,
    0,
    count,
    // A symmetric item computes its lower triangle and mirrors it (wasmGemm).
    call.symmetric ? 1 : 0,
  ]);
  return { params, scratchBytes: SCRATCH_ALIGN + threads * perThread };
}

/**
 * Per-thread scratch of a Gram softmax item: packing buffers for its products, then the item's
 * n x n Gram matrix, its weights when a value product follows (dv > 0), and its row totals
 * (byte offsets within the thread's region).
 */
export function gramSoftmaxLayout(bl: Blocking, n: number, k: number, dv: number): { gram: number; weights: number; totals: number; bias: number; bytes: number } {
  const packing = Math.max(wasmScratchBytes(4, bl, n, n, k), dv > 0 ? wasmScratchBytes(4, bl, n, dv, n) : 0);
  const gram = roundUp(packing, SCRATCH_ALIGN);
  const weights = gram + roundUp(4 * n * n, SCRATCH_ALIGN);
  const totals = dv > 0 ? weights + roundUp(4 * n * n, SCRATCH_ALIGN) : weights;
  const bias = totals + roundUp(gramTotalsBytes(n), SCRATCH_ALIGN);
  return { gram, weights, totals, bias, bytes: bias + roundUp(4 * n, SCRATCH_ALIGN) };
}

/**
 * A round over the items of a Gram softmax (GramSoftmaxCall), one item a chunk: its product's
 * lower triangle into the thread's scratch, the Gram softmax kernels, then the value product
 * when there is one (runChunk, kind 8). The calling thread runs the same chunks one after
 * another when nothing threads.
 */
export function planGramSoftmax(call: GramSoftmaxCall, bl: Blocking, threads: number, scratch: number): { params: Float64Array; scratchBytes: number } {
  const v = call.value;
  const layout = gramSoftmaxLayout(bl, call.n, call.k, v?.dv ?? 0);
  const params = new Float64Array(ROUND_WORDS);
  params.set([
    8,
    call.n,
    call.k,
    call.a,
    call.rsA,
    call.csA,
    call.strideA,
    call.bias,
    call.strideBias,
    call.out,
    roundUp(scratch, SCRATCH_ALIGN),
    layout.bytes,
    bl.mr,
    bl.nr,
    bl.mc,
    bl.kc,
    bl.nc,
    layout.gram,
    layout.totals,
    v?.dv ?? 0,
    v?.b ?? 0,
    v?.rsB ?? 0,
    v?.csB ?? 0,
    v?.stride ?? 0,
    call.items,
    layout.weights,
    call.biasFromDiagonal ? 1 : 0,
    layout.bias,
    call.n * (v ? v.dv : call.n) * 4,
  ]);
  return { params, scratchBytes: SCRATCH_ALIGN + threads * layout.bytes };
}

/** Kind of an item round's parameter block (planItemRound). */
export const ITEM_ROUND = 9;

/**
 * A round over the items of a segment (plan/segments.ts): chunk t runs each of the segment's
 * `count` blocks on item t, in order, so one thread takes an item through every step. The
 * blocks live in the memory, one copy per thread, since a thread's private values sit at its
 * own addresses: thread h's blocks (ROUND_WORDS words each) start at byte blocks + h * perThread.
 * Words: 0 kind, 1 blocks, 2 count, 3 perThread.
 */
export function planItemRound(blocks: number, count: number, perThread: number, items: number): Float64Array {
  const params = new Float64Array(ROUND_WORDS);
  params.set([ITEM_ROUND, blocks, count, perThread]);
  params[TOTAL_WORD] = items;
  return params;
}

/**
 * The words of an item block where each operand's base and its stride between items sit (bytes),
 * and where the scratch base and each thread's share of it go (thread h's scratch starts h
 * shares after the base): a batched product's (planBatched) and a Gram softmax's (planGramSoftmax).
 */
export const BATCH_ITEM_WORDS = { a: [5, 13], b: [8, 14], c: [11, 15], scratch: [18, 19] } as const;
export const GRAM_ITEM_WORDS = { a: [3, 6], bias: [7, 8], out: [9, 28], value: [20, 23], scratch: [10, 11] } as const;

/** Rows of C each mirror chunk copies (a tile: both the rows written and the block read stay in cache). */
export const MIRROR_TILE = 32;

/** A round that mirrors the lower triangle of an n x n C (element offset c, row stride rsC) onto the upper. */
export function planMirror(dtype: "float32" | "float64", n: number, c: number, rsC: number): Float64Array {
  const params = new Float64Array(ROUND_WORDS);
  params.set([5, dtype === "float64" ? 1 : 0, n, c, rsC, MIRROR_TILE]);
  params[TOTAL_WORD] = Math.ceil(n / MIRROR_TILE);
  return params;
}

/** Packs the round's block of B (all of k) into the shared scratch, one KC slab after another. */
export function packRoundB(ex: GemmKernels, p: Float64Array): void {
  const es = p[1] ? 8 : 4;
  const k = p[4]!;
  const kcMax = p[22]!;
  const ncPad = p[23]!;
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    ex.packB(p[8]! + pc * p[9]! * es, p[10]! * es, p[9]! * es, p[3]!, kc, p[13]! + pc * ncPad * es);
  }
}

/**
 * Computes chunk `chunk` of a round on thread `thread`. Parameter words: 0 kind (1 wasm,
 * 2 plain), 1 dtype (1 = float64), 2 m, 3 nc, 4 k, 5 a, 6 rsA, 7 csA, 8 b (this round's first
 * column), 9 rsB, 10 csB, 11 c (ditto), 12 rsC, 13 packed B, 14 row block, 15 column block,
 * 16 row chunks, 17 column chunks, 18 private scratch base, 19 private bytes per thread, 20 mr,
 * 21 nr, 22 kc, 23 padded nc, 24 chunk count, 25 symmetric (1: skip chunks strictly above the
 * diagonal; the caller mirrors them), 26 the round's first column. Offsets are bytes, strides
 * elements.
 */
export function runChunk(
  p: Float64Array,
  chunk: number,
  thread: number,
  kernels: GemmKernels[],
  memory: WebAssembly.Memory,
  plain: typeof plainGemm,
  single: typeof wasmGemm,
  loop?: (block: Float64Array, chunk: number) => void,
): void {
  if (p[0] === 9) {
    // An item round (planItemRound): this thread's blocks, each run on item `chunk`; loop
    // kernel blocks (kernel rounds, pool.ts) go to `loop`.
    const words = p.length;
    const count = p[2]!;
    const blocks = new Float64Array(memory.buffer, p[1]! + thread * p[3]!, count * words);
    for (let s = 0; s < count; s++) {
      const q = blocks.subarray(s * words, (s + 1) * words);
      if (q[0] === 7) loop!(q, chunk);
      else runChunk(q, chunk, thread, kernels, memory, plain, single, loop);
    }
    return;
  }
  if (p[0] === 8) {
    // One item of a Gram softmax (planGramSoftmax): 1 n, 2 k, 3 A (item 0), 4 rsA, 5 csA,
    // 6 A's byte stride between items, 7 bias (item 0), 8 its stride, 9 out (item 0), 10 private
    // scratch base, 11 bytes per thread, 12-16 mr, nr, mc, kc, nc, 17 the Gram matrix's and
    // 18 the totals' offsets in a thread's scratch, 19 dv (0: no value product), 20 V (item 0),
    // 21 rsV, 22 csV, 23 V's byte stride, 25 the weights' offset in a thread's scratch, 26 bias
    // from the Gram diagonal (1: words 7 and 8 unused), 27 that bias row's offset in the scratch,
    // 28 out's byte stride between items.
    const ex = kernels[0]!;
    const n = p[1]!;
    const dv = p[19]!;
    const bl = { mr: p[12]!, nr: p[13]!, mc: p[14]!, kc: p[15]!, nc: p[16]! };
    const base = p[10]! + thread * p[11]!;
    const g = base + p[17]!;
    const tot = base + p[18]!;
    const a = p[3]! + chunk * p[6]!;
    const diagonal = p[26] === 1;
    const bias = diagonal ? base + p[27]! : p[7]! + chunk * p[8]!;
    const out = p[9]! + chunk * p[28]!;
    const weights = dv > 0 ? base + p[25]! : out;
    // Lower triangle only (triangle 2): the kernels below never read above the diagonal.
    single(ex, 4, bl, n, n, p[2]!, a, p[4]!, p[5]!, a, p[5]!, p[4]!, g, n, base, 2);
    if (diagonal) ex.gramHalfDiagonal32!(g, n, bias);
    if (ex.gramExp32!(g, bias, weights, n, tot)) {
      ex.mirror(weights, n * 4, n, 0, n);
      ex.gramScale32!(weights, n, tot);
    } else {
      // The bias was no usable row shift (or something is NaN): the row kernel on the whole G.
      ex.mirror(g, n * 4, n, 0, n);
      ex.rows32Bias!(g, bias, weights, n, n, n);
    }
    if (dv > 0) single(ex, 4, bl, n, dv, n, weights, n, 1, p[20]! + chunk * p[23]!, p[21]!, p[22]!, out, dv, base, 0);
    return;
  }
  if (p[0] === 6) {
    // One item of a batched product (planBatched): 5/8/11 item 0's A/B/C, 13/14/15 the byte
    // strides between items, 16 mc, 17 nc, 18 private scratch base, 19 bytes per thread,
    // 20 mr, 21 nr, 22 kc, 25 symmetric.
    const es = p[1] ? 8 : 4;
    const bl = { mr: p[20]!, nr: p[21]!, mc: p[16]!, kc: p[22]!, nc: p[17]! };
    single(kernels[p[1]!]!, es, bl, p[2]!, p[3]!, p[4]!, p[5]! + chunk * p[13]!, p[6]!, p[7]!, p[8]! + chunk * p[14]!, p[9]!, p[10]!, p[11]! + chunk * p[15]!, p[12]!, p[18]! + thread * p[19]!, p[25] === 1 ? 1 : 0);
    return;
  }
  if (p[0] === 5) {
    // Mirror of a symmetric product's lower triangle (planMirror): 1 float64, 2 n, 3 C (element
    // offset), 4 rsC, 5 rows per chunk. Chunk r writes rows [r0, r0 + rows) right of the
    // diagonal, tile by tile, each tile read from a square block below the diagonal.
    const n = p[2]!;
    const c0 = p[3]!;
    const rs = p[4]!;
    const tile = p[5]!;
    const ib = chunk * tile;
    const iEnd = Math.min(ib + tile, n);
    const ex = kernels[p[1]!];
    if (ex) {
      const es = p[1] ? 8 : 4;
      ex.mirror(c0 * es, rs * es, n, ib, iEnd);
      return;
    }
    const h = p[1] ? new Float64Array(memory.buffer) : new Float32Array(memory.buffer);
    for (let jb = ib; jb < n; jb += tile) {
      const jEnd = Math.min(jb + tile, n);
      for (let i = ib; i < iEnd; i++) {
        const row = c0 + i * rs;
        for (let j = Math.max(jb, i + 1); j < jEnd; j++) h[row + j] = h[c0 + j * rs + i]!;
      }
    }
    return;
  }
  if (p[0] === 3) {
    // Softmax rows (planSoftmaxRows): 1 biased, 2 rows, 3 cols, 4 x, 5 bias, 6 out, 7 period,
    // 8 rows per chunk (a multiple of the period when the bias has several rows).
    const ex = kernels[0]!;
    const r0 = chunk * p[8]!;
    const count = Math.min(p[8]!, p[2]! - r0);
    const rowBytes = p[3]! * 4;
    if (p[1]) ex.rows32Bias!(p[4]! + r0 * rowBytes, p[5]! + Math.floor(r0 / p[7]!) * rowBytes, p[6]! + r0 * rowBytes, count, p[3]!, p[7]!);
    else ex.rows32!(p[4]! + r0 * rowBytes, p[6]! + r0 * rowBytes, count, p[3]!);
    return;
  }
  const es = p[1] ? 8 : 4;
  const rb = Math.floor(chunk / p[17]!);
  const i0 = rb * p[14]!;
  const j0 = (chunk - rb * p[17]!) * p[15]!;
  const rows = Math.min(p[14]!, p[2]! - i0);
  // A symmetric product computes only the lower triangle: each chunk's columns stop at its last
  // row (the caller mirrors the rest), and a chunk wholly above the diagonal does nothing.
  const cols = p[25] ? Math.min(p[15]!, p[3]! - j0, i0 + rows - p[26]! - j0) : Math.min(p[15]!, p[3]! - j0);
  if (cols <= 0) return;
  const k = p[4]!;
  const s = Math.ceil((p[18]! + thread * p[19]!) / 64) * 64;
  const a = p[5]! + i0 * p[6]! * es;
  const c = p[11]! + (i0 * p[12]! + j0) * es;
  if (p[0] === 2) {
    const h = p[1] ? new Float64Array(memory.buffer) : new Float32Array(memory.buffer);
    plain(h, rows, cols, k, a / es, p[6]!, p[7]!, (p[8]! + j0 * p[10]! * es) / es, p[9]!, p[10]!, c / es, p[12]!, s / es);
    return;
  }
  const ex = kernels[p[1]!]!;
  const mr = p[20]!;
  const kcMax = p[22]!;
  const ncPad = p[23]!;
  const tmp = s + Math.ceil((Math.ceil(p[14]! / mr) * mr * Math.min(kcMax, k) * es) / 64) * 64;
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    // Slab pc of the packed block starts at pc * ncPad; column j0's panel at j0 * kc within it.
    ex.packA(a + pc * p[7]! * es, p[6]! * es, p[7]! * es, rows, kc, s);
    ex.macro(rows, cols, kc, s, p[13]! + (pc * ncPad + j0 * kc) * es, c, p[12]! * es, pc > 0 ? 1 : 0, tmp);
  }
}
