/**
 * The cache-blocking loops around the generated wasm kernels (GotoBLAS/BLIS order):
 *   jc over NC columns -> pc over KC depth (pack B block, lives in L2/L3)
 *     -> ic over MC rows (pack A block, lives in L2) -> macro-kernel (B micro-panel in L1).
 *
 * This is the single-thread path; threaded calls share packed B blocks instead (parallel.ts).
 */

/** The exported wasm functions one dtype needs (see kernels.ts). */
export interface GemmKernels {
  macro(mc: number, nc: number, kc: number, ap: number, bp: number, c: number, ldc: number, acc: number, tmp: number): void;
  packA(src: number, ls: number, ps: number, count: number, kc: number, dst: number): void;
  packB(src: number, ls: number, ps: number, count: number, kc: number, dst: number): void;
  /** Copies the lower triangle of an n x n C onto the upper one for rows [i0, i1) (mirror.ts). */
  mirror(c: number, ldc: number, n: number, i0: number, i1: number): void;
  /** The float32 softmax rows kernels (softmax-wasm.ts), on the float32 entry only. */
  rows32?(x: number, out: number, rows: number, cols: number): void;
  rows32Bias?(x: number, bias: number, out: number, rows: number, cols: number, period: number): void;
  /** The Gram logits' softmax kernels (gram-softmax-wasm.ts), on the float32 entry only. */
  gramExp32?(g: number, bias: number, out: number, n: number, tot: number): number;
  gramScale32?(out: number, n: number, tot: number): void;
  gramHalfDiagonal32?(g: number, n: number, dst: number): void;
}

/** Kernel tile (MR x NR) and cache block sizes, in elements. */
export interface Blocking {
  mr: number;
  nr: number;
  mc: number;
  kc: number;
  nc: number;
}

/** Scratch alignment: packed panels start on a cache line. */
export const SCRATCH_ALIGN = 64;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** Bytes of scratch one thread needs for an m x n x k call: packed A block, B block, edge tile. */
export function wasmScratchBytes(es: number, bl: Blocking, m: number, n: number, k: number): number {
  const kc = Math.min(bl.kc, k);
  const a = roundUp(roundUp(Math.min(bl.mc, m), bl.mr) * kc * es, SCRATCH_ALIGN);
  const b = roundUp(roundUp(Math.min(bl.nc, n), bl.nr) * kc * es, SCRATCH_ALIGN);
  // The leading SCRATCH_ALIGN lets wasmGemm align an arbitrary scratch offset.
  return SCRATCH_ALIGN + a + b + bl.mr * bl.nr * es;
}

/**
 * C[m x n] = A[m x k] * B[k x n] on one thread. Offsets are bytes, strides elements; `scratch`
 * must hold wasmScratchBytes(...) bytes. k must be > 0 (the caller zero fills C for k = 0).
 * `triangle` is for B = A^T (so m = n): 1 or 2 compute only the lower triangle, in bands of two
 * tile rows whose columns stop at the band's last row; 1 then has the mirror kernel copy it onto
 * the upper one (for 128 x 128 x 64, 0.6 of the whole product's time, the copy included), 2
 * leaves the upper triangle unspecified, for a caller that reads only the lower one.
 */
export function wasmGemm(
  ex: GemmKernels,
  es: number,
  bl: Blocking,
  m: number,
  n: number,
  k: number,
  a: number,
  rsA: number,
  csA: number,
  b: number,
  rsB: number,
  csB: number,
  c: number,
  rsC: number,
  scratch: number,
  triangle = 0,
): void {
  const symmetric = triangle !== 0;
  if (m <= 0 || n <= 0 || k <= 0) return;
  const kcMax = Math.min(bl.kc, k);
  // Narrow bands follow the triangle's edge closely; packing A costs the same in any bands.
  const rowStep = symmetric ? Math.min(bl.mc, 2 * bl.mr) : bl.mc;
  const ap = Math.ceil(scratch / 64) * 64;
  const bp = ap + Math.ceil((Math.ceil(Math.min(bl.mc, m) / bl.mr) * bl.mr * kcMax * es) / 64) * 64;
  const tmp = bp + Math.ceil((Math.ceil(Math.min(bl.nc, n) / bl.nr) * bl.nr * kcMax * es) / 64) * 64;
  for (let jc = 0; jc < n; jc += bl.nc) {
    const nc = Math.min(bl.nc, n - jc);
    for (let pc = 0; pc < k; pc += bl.kc) {
      const kc = Math.min(bl.kc, k - pc);
      // B columns are the lines (csB apart), k the position along them (rsB apart).
      ex.packB(b + (pc * rsB + jc * csB) * es, csB * es, rsB * es, nc, kc, bp);
      for (let ic = 0; ic < m; ic += rowStep) {
        const mc = Math.min(rowStep, m - ic);
        // A symmetric product needs only columns up to the block's last row (the lower triangle);
        // the macro-kernel takes a prefix of the packed B panels.
        const cols = symmetric ? Math.min(nc, ic + mc - jc) : nc;
        if (cols <= 0) continue;
        ex.packA(a + (ic * rsA + pc * csA) * es, rsA * es, csA * es, mc, kc, ap);
        ex.macro(mc, cols, kc, ap, bp, c + (ic * rsC + jc) * es, rsC * es, pc > 0 ? 1 : 0, tmp);
      }
    }
  }
  if (triangle === 1) ex.mirror(c, rsC * es, n, 0, n);
}
