/**
 * A Gram softmax's items as a round of the threads, one item a chunk: the item's product's lower
 * triangle into the thread's scratch (the blocked product of wasm/gemm-driver.ts), the Gram
 * softmax kernels (gram-softmax-wasm.ts), then the value product when there is one. The calling
 * thread runs the same chunks one after another when nothing threads. The runner must stay
 * self-contained: worker threads run its toString().
 */
import { type Blocking, SCRATCH_ALIGN, wasmScratchBytes } from "../../wasm/gemm-driver.js";
import { blockOf, defineLayout, ROUND_KIND } from "../../threads/layout.js";
import { roundRunner, type RunnerContext } from "../../threads/runner.js";
import type { GramSoftmaxCall } from "../../steps/calls.js";
import { gramTotalsBytes } from "./gram-softmax-wasm.js";

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/**
 * One item of a Gram softmax: item 0's A, bias and out and their byte strides between items, the
 * private scratch (base, bytes per thread, and where in it the Gram matrix, the totals, the
 * weights and the diagonal bias row go), the blocking, and the value product (dv 0: none).
 * `diagonal` (1): the bias is read off the Gram diagonal, and `bias` and `strideBias` are unused.
 */
export const GRAM_ITEM_LAYOUT = defineLayout("gram softmax item", [
  "n",
  "k",
  "a",
  "rsA",
  "csA",
  "strideA",
  "bias",
  "strideBias",
  "out",
  "scratch",
  "perThread",
  "mr",
  "nr",
  "mc",
  "kc",
  "nc",
  "gram",
  "totals",
  "dv",
  "v",
  "rsV",
  "csV",
  "strideV",
  "weights",
  "diagonal",
  "biasRow",
  "strideOut",
]);

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

/** The round over a Gram softmax's items (GramSoftmaxCall), with the scratch it needs on `threads` threads. */
export function planGramSoftmax(call: GramSoftmaxCall, bl: Blocking, threads: number, scratch: number): { params: Float64Array; scratchBytes: number } {
  const v = call.value;
  const layout = gramSoftmaxLayout(bl, call.n, call.k, v?.dv ?? 0);
  const params = blockOf(ROUND_KIND.gramItem, GRAM_ITEM_LAYOUT, {
    n: call.n,
    k: call.k,
    a: call.a,
    rsA: call.rsA,
    csA: call.csA,
    strideA: call.strideA,
    bias: call.bias,
    strideBias: call.strideBias,
    out: call.out,
    scratch: roundUp(scratch, SCRATCH_ALIGN),
    perThread: layout.bytes,
    mr: bl.mr,
    nr: bl.nr,
    mc: bl.mc,
    kc: bl.kc,
    nc: bl.nc,
    gram: layout.gram,
    totals: layout.totals,
    dv: v?.dv ?? 0,
    v: v?.b ?? 0,
    rsV: v?.rsB ?? 0,
    csV: v?.csB ?? 0,
    strideV: v?.stride ?? 0,
    total: call.items,
    weights: layout.weights,
    diagonal: call.biasFromDiagonal ? 1 : 0,
    biasRow: layout.bias,
    strideOut: call.n * (v ? v.dv : call.n) * 4,
  });
  return { params, scratchBytes: SCRATCH_ALIGN + threads * layout.bytes };
}

/**
 * The words of a Gram softmax item's block where each operand's base and its stride between
 * items sit (bytes), and where the scratch base and each thread's share of it go, for item rounds
 * (plan/segments.ts).
 */
export const GRAM_ITEM_WORDS = {
  a: [GRAM_ITEM_LAYOUT.words.a, GRAM_ITEM_LAYOUT.words.strideA],
  bias: [GRAM_ITEM_LAYOUT.words.bias, GRAM_ITEM_LAYOUT.words.strideBias],
  out: [GRAM_ITEM_LAYOUT.words.out, GRAM_ITEM_LAYOUT.words.strideOut],
  value: [GRAM_ITEM_LAYOUT.words.v, GRAM_ITEM_LAYOUT.words.strideV],
  scratch: [GRAM_ITEM_LAYOUT.words.scratch, GRAM_ITEM_LAYOUT.words.perThread],
} as const;

/** Item `chunk` of a Gram softmax on thread `thread`, in that thread's scratch. */
function runGramItem(p: Float64Array, chunk: number, thread: number, context: RunnerContext, w: typeof GRAM_ITEM_LAYOUT.words): void {
  const ex = context.kernels[0]!;
  const single = context.single;
  const n = p[w.n]!;
  const dv = p[w.dv]!;
  const bl = { mr: p[w.mr]!, nr: p[w.nr]!, mc: p[w.mc]!, kc: p[w.kc]!, nc: p[w.nc]! };
  const base = p[w.scratch]! + thread * p[w.perThread]!;
  const g = base + p[w.gram]!;
  const tot = base + p[w.totals]!;
  const a = p[w.a]! + chunk * p[w.strideA]!;
  const diagonal = p[w.diagonal] === 1;
  const bias = diagonal ? base + p[w.biasRow]! : p[w.bias]! + chunk * p[w.strideBias]!;
  const out = p[w.out]! + chunk * p[w.strideOut]!;
  const weights = dv > 0 ? base + p[w.weights]! : out;
  // Lower triangle only (triangle 2): the kernels below never read above the diagonal.
  single(ex, 4, bl, n, n, p[w.k]!, a, p[w.rsA]!, p[w.csA]!, a, p[w.csA]!, p[w.rsA]!, g, n, base, 2);
  if (diagonal) ex.gramHalfDiagonal32!(g, n, bias);
  if (ex.gramExp32!(g, bias, weights, n, tot)) {
    ex.mirror(weights, n * 4, n, 0, n);
    ex.gramScale32!(weights, n, tot);
  } else {
    // The bias was no usable row shift (or something is NaN): the row kernel on the whole G.
    ex.mirror(g, n * 4, n, 0, n);
    ex.rows32Bias!(g, bias, weights, n, n, n);
  }
  if (dv > 0) single(ex, 4, bl, n, dv, n, weights, n, 1, p[w.v]! + chunk * p[w.strideV]!, p[w.rsV]!, p[w.csV]!, out, dv, base, 0);
}

/** The Gram softmax item's runner. */
export const GRAM_RUNNER = roundRunner(ROUND_KIND.gramItem, GRAM_ITEM_LAYOUT, runGramItem);
