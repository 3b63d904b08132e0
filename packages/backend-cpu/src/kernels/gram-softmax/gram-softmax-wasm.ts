/**
 * Softmax rows of the Yang logits x_ij = G_ij - b_j with G = Z Z^T symmetric, from G's lower
 * triangle alone, as WebAssembly SIMD functions generated at run time (emitted into the GEMM's
 * module, so its worker threads run them too).
 *
 * Why it works: softmax_j(x_ij) = exp(x_ij - s_i) / sum_j exp(x_ij - s_i) for any row shift s_i,
 * and with s_i = b_i the weights K_ij = exp(G_ij - b_j - b_i) are symmetric. So exp runs on the
 * lower triangle only (half the work of a row softmax, whose cost is its exp), every row's total
 * gathers its own part and the column below its diagonal, and a mirror plus a row scale give the
 * softmax. No max pass is needed when the shift is good: for the Yang bias b_j = G_jj / 2 the
 * exponent is -||z_i - z_j||^2 / 2 <= 0, the row maximum sits on the diagonal and is 1.
 *
 * A shift is good when every row total lands in [2^-64, 2^64]: then no weight overflowed and the
 * weights flushed to 0 (below 2^-126) are under 2^-62 of their row's total. `gram_exp32` reports
 * a bad shift (any bias, NaN included) and the caller falls back to the row kernel on the
 * mirrored G (softmax-wasm.ts), so the result never depends on the bias being the Yang one.
 *
 * Precision matches the row kernel's: x_ij is rounded as the program's float32 subtraction is,
 * x_ij - b_i is exact (TwoSum, as x - max there), the exp is the same vector exp, totals are
 * summed in float64 and each weight is scaled in float64 and rounded once.
 */
import { Frame, whileLoop } from "../../wasm/codegen.js";
import { F32, F64, I32, V128 } from "../../wasm/wasm-emitter.js";
import { expLocals, expOfSum, FLOAT32_TINY, HIGH_HALF, scaleVector, SimdCode } from "../../wasm/exp-simd.js";
import { type ModulePart, SOFTMAX_EXPORTS } from "../../wasm/shared-module.js";

/** Row totals outside [GUARD_MIN, GUARD_MAX] mean the shift b_i was not a usable row maximum. */
const GUARD_MIN = 2 ** -64;
const GUARD_MAX = 2 ** 64;

/** Bytes of the float64 row totals `gram_exp32` keeps for an n x n item (n rounded up to 4). */
export function gramTotalsBytes(n: number): number {
  return Math.ceil(n / 4) * 4 * 8;
}

/**
 * gram_exp32(g, bias, out, n, tot) -> ok. For an n x n float32 item whose lower triangle (and
 * diagonal) G holds at byte offset g (row stride 4n), and its bias row b (n float32 at `bias`):
 * writes K_ij = exp((G_ij - b_j) - b_i) for j <= i into out's lower triangle (row stride 4n;
 * nothing above the diagonal is read or written), and into tot (gramTotalsBytes(n) bytes,
 * 16-byte aligned) every row's float64 total sum_j K_ij over the whole symmetric row. Returns 1
 * when every total is in range (see above), else 0, and the caller must not use `out`.
 */
export function gramExpFunction(): { f: Frame; c: SimdCode } {
  const f = new Frame();
  const g = f.param();
  const bias = f.param();
  const out = f.param();
  const n = f.param();
  const tot = f.param();
  const rowBytes = f.local();
  const i = f.local();
  const d = f.local();
  const jb = f.local();
  const diagBytes = f.local();
  const gRow = f.local();
  const oRow = f.local();
  const tp = f.local();
  const p = f.local();
  const end = f.local();
  const ok = f.local();
  const s = f.local(F64);
  const negInf = f.local(V128);
  const negb = f.local(V128);
  const x = f.local(V128);
  const hi = f.local(V128);
  const lo = f.local(V128);
  const t = f.local(V128);
  const ev = f.local(V128);
  const evLo = f.local(V128);
  const evHi = f.local(V128);
  const acc = f.local(V128);
  const c = new SimdCode();
  const e = expLocals(f, c);

  /** ev = e^(x - b_i) of the exact difference, as the row kernel does; its float64 halves summed into acc. */
  const expOfShifted = (): void => {
    expOfSum(c, e, x, negb, { hi, lo, t }, ev);
    c.get(ev).f64x2PromoteLowF32x4().set(evLo);
    c.get(ev).get(ev).i8x16Shuffle(HIGH_HALF).f64x2PromoteLowF32x4().set(evHi);
    c.get(acc).get(evLo).f64x2Add().get(evHi).f64x2Add().set(acc);
  };
  /** Nested `if d > k` blocks for k = from .. 2, body(k) in each (the diagonal vector's lanes). */
  const forLanesBelow = (from: number, body: (k: number) => void): void => {
    for (let k = from; k < 3; k++) {
      c.get(d).i32Const(k).i32GtS().if();
      body(k);
    }
    for (let k = from; k < 3; k++) c.end();
  };

  c.get(n).i32Const(4).i32Mul().set(rowBytes);
  // Zero the totals, whole vectors (their length is rounded up to 4 floats).
  c.get(tot).set(p).get(tot).get(n).i32Const(3).i32Add().i32Const(~3).i32And().i32Const(8).i32Mul().i32Add().set(end);
  whileLoop(
    c,
    (c) => c.get(p).get(end).i32LtU(),
    () => {
      c.get(p).v128Zero().v128Store();
      c.get(p).i32Const(16).i32Add().set(p);
    },
  );
  c.f32Const(-Infinity).f32x4Splat().set(negInf);

  c.i32Const(0).set(i).get(g).set(gRow).get(out).set(oRow);
  whileLoop(
    c,
    (c) => c.get(i).get(n).i32LtS(),
    () => {
      c.get(bias).get(i).i32Const(4).i32Mul().i32Add().f32Load().f32Neg().f32x4Splat().set(negb);
      c.v128Zero().set(acc);
      // Whole vectors strictly below the diagonal: columns [0, i & ~3).
      c.get(i).i32Const(~3).i32And().i32Const(4).i32Mul().set(diagBytes);
      c.i32Const(0).set(jb);
      whileLoop(
        c,
        (c) => c.get(jb).get(diagBytes).i32LtS(),
        () => {
          c.get(gRow).get(jb).i32Add().v128Load().get(bias).get(jb).i32Add().v128Load().f32x4Sub().set(x);
          expOfShifted();
          c.get(oRow).get(jb).i32Add().get(ev).v128Store();
          // K_ij (j < i) also belongs to row j's total.
          c.get(tot).get(jb).i32Const(2).i32Mul().i32Add().set(tp);
          c.get(tp).get(tp).v128Load().get(evLo).f64x2Add().v128Store();
          c.get(tp).get(tp).v128Load(16).get(evHi).f64x2Add().v128Store(16);
          c.get(jb).i32Const(16).i32Add().set(jb);
        },
      );
      // The vector holding the diagonal: lanes 0 .. d = i & 3 are in the triangle, read and
      // written one by one (the rest may lie past the row's end); the others are -Infinity.
      c.get(i).i32Const(3).i32And().set(d);
      c.get(gRow).get(jb).i32Add().set(p);
      c.get(bias).get(jb).i32Add().set(tp);
      c.get(negInf).get(p).f32Load().get(tp).f32Load().f32Sub().f32x4ReplaceLane(0).set(x);
      forLanesBelow(0, (k) => c.get(x).get(p).f32Load(4 * (k + 1)).get(tp).f32Load(4 * (k + 1)).f32Sub().f32x4ReplaceLane(k + 1).set(x));
      expOfShifted();
      c.get(oRow).get(jb).i32Add().set(p);
      c.get(p).get(ev).f32x4ExtractLane(0).f32Store();
      forLanesBelow(0, (k) => c.get(p).get(ev).f32x4ExtractLane(k + 1).f32Store(4 * (k + 1)));
      // Lanes left of the diagonal belong to their columns' totals too.
      c.get(tot).get(jb).i32Const(2).i32Mul().i32Add().set(tp);
      forLanesBelow(0, (k) => c.get(tp).get(tp).f64Load(8 * k).get(ev).f32x4ExtractLane(k).f64PromoteF32().f64Add().f64Store(8 * k));
      // Row i's own part: everything up to and including the diagonal.
      c.get(tot).get(i).i32Const(8).i32Mul().i32Add().set(tp);
      c.get(tp).get(tp).f64Load().get(acc).f64x2ExtractLane(0).get(acc).f64x2ExtractLane(1).f64Add().f64Add().f64Store();
      c.get(i).i32Const(1).i32Add().set(i);
      c.get(gRow).get(rowBytes).i32Add().set(gRow);
      c.get(oRow).get(rowBytes).i32Add().set(oRow);
    },
  );

  // Every total in range (NaN is not).
  c.i32Const(1).set(ok);
  c.get(tot).set(p).get(tot).get(n).i32Const(8).i32Mul().i32Add().set(end);
  whileLoop(
    c,
    (c) => c.get(p).get(end).i32LtU(),
    () => {
      c.get(p).f64Load().set(s);
      c.get(s).f64Const(GUARD_MIN).f64Ge().get(s).f64Const(GUARD_MAX).f64Le().i32And().i32Eqz().if();
      c.i32Const(0).set(ok);
      c.end();
      c.get(p).i32Const(8).i32Add().set(p);
    },
  );
  c.get(ok);
  return { f, c };
}

/**
 * gram_scale32(out, n, tot): out[i, :] *= 1 / tot[i] for an n x n float32 item (row stride 4n),
 * in float64 and rounded once, weights below the smallest normal float32 stored as 0: the row
 * kernel's scale pass, after the caller mirrored out's lower triangle onto its upper one.
 */
export function gramScaleFunction(): { f: Frame; c: SimdCode } {
  const f = new Frame();
  const out = f.param();
  const n = f.param();
  const tot = f.param();
  const rowBytes = f.local();
  const bodyBytes = f.local();
  const i = f.local();
  const q = f.local();
  const p = f.local();
  const end = f.local();
  const y = f.local(F32);
  const inv = f.local(F64);
  const scale = f.local(V128);
  const v = f.local(V128);
  const tiny = f.local(V128);
  const c = new SimdCode();

  c.get(n).i32Const(4).i32Mul().set(rowBytes);
  c.get(n).i32Const(~3).i32And().i32Const(4).i32Mul().set(bodyBytes);
  c.f32Const(FLOAT32_TINY).f32x4Splat().set(tiny);
  c.i32Const(0).set(i).get(out).set(q);
  whileLoop(
    c,
    (c) => c.get(i).get(n).i32LtS(),
    () => {
      c.f64Const(1).get(tot).get(i).i32Const(8).i32Mul().i32Add().f64Load().f64Div().tee(inv).f64x2Splat().set(scale);
      c.get(q).set(p).get(q).get(bodyBytes).i32Add().set(end);
      whileLoop(
        c,
        (c) => c.get(p).get(end).i32LtU(),
        () => {
          c.get(p).v128Load().set(v);
          scaleVector(c, v, scale, tiny);
          c.get(p).get(v).v128Store();
          c.get(p).i32Const(16).i32Add().set(p);
        },
      );
      // The row's last n % 4 weights, one by one with the same rounding.
      c.get(q).get(rowBytes).i32Add().set(end);
      whileLoop(
        c,
        (c) => c.get(p).get(end).i32LtU(),
        () => {
          c.get(p).f32Load().f64PromoteF32().get(inv).f64Mul().f32DemoteF64().set(y);
          c.get(p).f32Const(0).get(y).get(y).f32Const(FLOAT32_TINY).f32Lt().select().f32Store();
          c.get(p).i32Const(4).i32Add().set(p);
        },
      );
      c.get(i).i32Const(1).i32Add().set(i);
      c.get(q).get(rowBytes).i32Add().set(q);
    },
  );
  return { f, c };
}

/**
 * gram_half_diagonal32(g, n, dst): dst[j] = G_jj / 2 for an n x n float32 G (row stride 4n): the
 * Yang bias b_j = |z_j|^2 / 2 read off the Gram matrix's diagonal, where the program computes it
 * as a separate sum of squares (gram-softmax.ts decides when the two are the same value).
 */
export function gramHalfDiagonalFunction(): { f: Frame; c: SimdCode } {
  const f = new Frame();
  const g = f.param();
  const n = f.param();
  const dst = f.param();
  const p = f.local();
  const q = f.local();
  const end = f.local();
  const step = f.local();
  const c = new SimdCode();
  c.get(n).i32Const(4).i32Mul().i32Const(4).i32Add().set(step);
  c.get(g).set(p).get(dst).set(q).get(dst).get(n).i32Const(4).i32Mul().i32Add().set(end);
  whileLoop(
    c,
    (c) => c.get(q).get(end).i32LtU(),
    () => {
      c.get(q).get(p).f32Load().f32Const(0.5).f32Mul().f32Store();
      c.get(p).get(step).i32Add().set(p);
      c.get(q).i32Const(4).i32Add().set(q);
    },
  );
  return { f, c };
}

/** The Gram logits' kernels as functions of the shared kernel module (wasm/shared-module.ts). */
export const gramSoftmaxPart: ModulePart = (m) => {
  const gramExp = gramExpFunction();
  m.func(gramExp.f.params, [I32], gramExp.f.locals, gramExp.c, SOFTMAX_EXPORTS.gramExp32);
  const gramScale = gramScaleFunction();
  m.func(gramScale.f.params, [], gramScale.f.locals, gramScale.c, SOFTMAX_EXPORTS.gramScale32);
  const halfDiagonal = gramHalfDiagonalFunction();
  m.func(halfDiagonal.f.params, [], halfDiagonal.f.locals, halfDiagonal.c, SOFTMAX_EXPORTS.gramHalfDiagonal32);
};
