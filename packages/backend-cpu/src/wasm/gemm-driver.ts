/**
 * The cache-blocking loops around the generated wasm kernels (GotoBLAS/BLIS order):
 *   jc over NC columns -> pc over KC depth (pack B block, lives in L2/L3)
 *     -> ic over MC rows (pack A block, lives in L2) -> macro-kernel (B micro-panel in L1).
 *
 * This is the single-thread path; threaded calls share packed B blocks instead
 * (kernels/gemm/parallel.ts). It lives here, below the kernel families, because the Gram softmax
 * runs the same blocked product on each item (kernels/gram-softmax).
 */
import { lanes, type GemmDType } from "./codegen.js";

/** The exported wasm functions one dtype needs (kernels/gemm/kernels.ts; names in shared-module.ts). */
export interface GemmKernels {
  macro(mc: number, nc: number, kc: number, ap: number, bp: number, c: number, ldc: number, acc: number, tmp: number): void;
  packA(src: number, ls: number, ps: number, count: number, kc: number, dst: number): void;
  packB(src: number, ls: number, ps: number, count: number, kc: number, dst: number): void;
  /** Copies the lower triangle of an n x n C onto the upper one for rows [i0, i1) (kernels/gemm/mirror.ts). */
  mirror(c: number, ldc: number, n: number, i0: number, i1: number): void;
  /** The float32 softmax rows kernels (kernels/softmax), on the float32 entry only. */
  rows32?(x: number, out: number, rows: number, cols: number): void;
  rows32Bias?(x: number, bias: number, out: number, rows: number, cols: number, period: number): void;
  /** The Gram logits' softmax kernels (kernels/gram-softmax), on the float32 entry only. */
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

/** Micro-kernel shape: mr rows, nv vectors of columns (nr = nv * lanes), k-loop unrolled by `unroll`. */
export interface KernelShape {
  mr: number;
  nv: number;
  unroll: number;
}

/**
 * Default tile shapes: 12 accumulators + 2 B vectors + a splat + a product fit the 16 xmm
 * registers V8 allocates. Measured on Node 20 (TurboFan), 512^3 float32 on one core: 6x8 ~41,
 * 4x8 ~41, 4x12 ~38, 8x8 ~30, 4x16 ~30 GFLOP/s; unrolling k (2, 4, 8) lost 10-35%, presumably
 * to spills, so the k loop is not unrolled.
 */
export const DEFAULT_SHAPES: Record<GemmDType, KernelShape> = {
  float32: { mr: 6, nv: 2, unroll: 1 },
  float64: { mr: 6, nv: 2, unroll: 1 },
};

/** Cache blocks tuned on a 48 KB L1 / 2 MB L2 core: a kc x nr B micro-panel (8 KB) stays in L1. */
export const BLOCKING: Record<GemmDType, Blocking> = {
  float32: { mr: DEFAULT_SHAPES.float32.mr, nr: DEFAULT_SHAPES.float32.nv * lanes("float32"), mc: 48, kc: 256, nc: 4096 },
  float64: { mr: DEFAULT_SHAPES.float64.mr, nr: DEFAULT_SHAPES.float64.nv * lanes("float64"), mc: 96, kc: 256, nc: 4096 },
};

/** The plain TypeScript product's signature (kernels/gemm/plain.ts), for the runners that call it. */
export type PlainProduct = (
  h: Float32Array | Float64Array,
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
  s: number,
) => void;

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
