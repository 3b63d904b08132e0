/**
 * A vectorised float32 exp for the run-time generated kernels: the instructions the GEMM emitter
 * does not need, and a generator for e^d over four lanes (d <= 0), within about one float32 ulp,
 * that the softmax kernel inlines into its loops.
 */
import { Code, V128, uleb } from "./wasm-emitter.js";
import type { Frame } from "./codegen.js";

/** Code with the further scalar and SIMD instructions the softmax kernel uses. */
export class SimdCode extends Code {
  private prefixed(sub: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, sub);
    return this;
  }
  private plain(byte: number): this {
    this.bytes.push(byte);
    return this;
  }

  // Scalars.
  f32Neg(): this {
    return this.plain(0x8c);
  }
  f32Max(): this {
    return this.plain(0x97);
  }
  f64Div(): this {
    return this.plain(0xa3);
  }
  f64Mul(): this {
    return this.plain(0xa2);
  }
  f32Mul(): this {
    return this.plain(0x94);
  }
  f32Lt(): this {
    return this.plain(0x5d);
  }
  f64Le(): this {
    return this.plain(0x65);
  }
  f64Ge(): this {
    return this.plain(0x66);
  }
  f32DemoteF64(): this {
    return this.plain(0xb6);
  }
  f64PromoteF32(): this {
    return this.plain(0xbb);
  }

  /** Lanes of a and b (a's are 0-15, b's 16-31), as the 16 byte-lane indices say. */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error("i8x16.shuffle takes 16 lane indices");
    this.prefixed(0x0d);
    this.bytes.push(...lanes);
    return this;
  }
  f32x4ExtractLane(lane: number): this {
    this.prefixed(0x1f);
    this.bytes.push(lane);
    return this;
  }
  f32x4ReplaceLane(lane: number): this {
    this.prefixed(0x20);
    this.bytes.push(lane);
    return this;
  }
  f64x2ExtractLane(lane: number): this {
    this.prefixed(0x21);
    this.bytes.push(lane);
    return this;
  }
  f32x4Lt(): this {
    return this.prefixed(0x43);
  }
  f32x4Gt(): this {
    return this.prefixed(0x44);
  }
  v128And(): this {
    return this.prefixed(0x4e);
  }
  /** a & ~b. */
  v128AndNot(): this {
    return this.prefixed(0x4f);
  }
  /** Two f64 lanes to the low two float32 lanes; the upper two become 0. */
  f32x4DemoteF64x2Zero(): this {
    return this.prefixed(0x5e);
  }
  f64x2PromoteLowF32x4(): this {
    return this.prefixed(0x5f);
  }
  i32x4Shl(): this {
    return this.prefixed(0xab);
  }
  f32x4Sub(): this {
    return this.prefixed(0xe5);
  }
  /**
   * Pseudo-max, a < b ? b : a: a NaN in a is kept, one in b dropped. One maxps in V8, where the
   * NaN-propagating f32x4.max takes eight instructions.
   */
  f32x4Pmax(): this {
    return this.prefixed(0xeb);
  }
}

/** Byte lanes moving a v128's upper 8 bytes into its lower half (the upper half repeats them). */
export const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** Byte lanes joining the low halves of two vectors (a's two float32, then b's). */
export const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** Smallest normal float32. */
export const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * e^r ~ 1 + r + r^2 q(r) on |r| <= ln2/2 with q of degree 4: coefficients fitted for least maximum
 * relative error (4.8e-9 as float32 constants, far below float32 rounding, 6e-8).
 */
const POLY = [0.4999999403953552, 0.16666515171527863, 0.04166845604777336, 0.008369410410523415, 0.0013813161058351398];
/** ln 2 split so that k * LN2_HI is exact for |k| < 2^15 (LN2_HI has 9 significant bits). */
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444005469057e-4;
/**
 * 1.5 * 2^23 + 127: adding it to |z| < 2^22 rounds z to an integer k held (biased by 127) in the
 * low mantissa bits, so shifting the sum's bits left by 23 leaves exactly the exponent field of 2^k.
 */
const ROUND_MAGIC = 12582912 + 127;
/** Arguments are clamped here: 2^k for k = round(-88 / ln 2) = -127 has exponent bits 0, i.e. 0. */
const EXP_MIN = -88;

/** v128 locals holding the exp's splatted constants and temporaries. */
export interface ExpLocals {
  readonly min: number;
  readonly log2e: number;
  readonly magic: number;
  readonly ln2Hi: number;
  readonly ln2Lo: number;
  readonly poly: readonly number[];
  readonly tiny: number;
  readonly h: number;
  readonly lo: number;
  readonly z: number;
  readonly kf: number;
  readonly r: number;
  readonly q: number;
}

/** Declares the exp's locals and emits their initialisation (once, outside the loops). */
export function expLocals(f: Frame, c: SimdCode): ExpLocals {
  const splat = (value: number): number => {
    const local = f.local(V128);
    c.f32Const(value).f32x4Splat().set(local);
    return local;
  };
  const temp = (): number => f.local(V128);
  return {
    min: splat(EXP_MIN),
    log2e: splat(Math.LOG2E),
    magic: splat(ROUND_MAGIC),
    ln2Hi: splat(LN2_HI),
    ln2Lo: splat(LN2_LO),
    poly: POLY.map((p) => splat(p)),
    tiny: splat(FLOAT32_TINY),
    h: temp(),
    lo: temp(),
    z: temp(),
    kf: temp(),
    r: temp(),
    q: temp(),
  };
}

/**
 * dst = e^(hi + lo) lane by lane, for hi <= 0 and lo a rounding error of hi (|lo| <= ulp(hi)),
 * which lets a caller pass the exact difference of two floats. Range reduction hi + lo = k ln2 + r
 * (|r| <= ln2/2, Cody-Waite: exact but for the LN2_LO term), e^r from the polynomial, scaled by 2^k
 * built from its exponent bits. Results below the smallest normal float32 are 0 (subnormals slow
 * every later reader); hi = -Infinity gives 0 and NaN stays NaN.
 */
export function expNonPositive(c: SimdCode, e: ExpLocals, hi: number, lo: number, dst: number): void {
  // lo only matters where hi is in range; beyond it (or at -Infinity) it may be NaN: drop it.
  c.get(lo).get(hi).get(e.min).f32x4Gt().v128And().set(e.lo);
  // Clamp; pmax keeps a NaN hi.
  c.get(hi).get(e.min).f32x4Pmax().set(e.h);
  // k = round(h / ln2): z holds k + 127 in its low mantissa bits, kf = k as a float.
  c.get(e.h).get(e.log2e).f32x4Mul().get(e.magic).f32x4Add().tee(e.z);
  c.get(e.magic).f32x4Sub().set(e.kf);
  // r = (h - k ln2_hi) + (lo - k ln2_lo); the first difference is exact (Sterbenz).
  c.get(e.h).get(e.kf).get(e.ln2Hi).f32x4Mul().f32x4Sub();
  c.get(e.lo).get(e.kf).get(e.ln2Lo).f32x4Mul().f32x4Sub();
  c.f32x4Add().set(e.r);
  // q(r) by Horner, then p = r + r^2 q = e^r - 1.
  const [c2, ...rest] = e.poly;
  c.get(rest[rest.length - 1]!);
  for (let i = rest.length - 2; i >= 0; i--) c.get(e.r).f32x4Mul().get(rest[i]!).f32x4Add();
  c.get(e.r).f32x4Mul().get(c2!).f32x4Add();
  c.get(e.r).get(e.r).f32x4Mul().f32x4Mul().get(e.r).f32x4Add().set(e.q);
  // 2^k from the exponent bits (k = -127 gives +0), and e^d = 2^k + 2^k p, rounded once.
  c.get(e.z).i32Const(23).i32x4Shl().tee(e.z);
  c.get(e.q).f32x4Mul().get(e.z).f32x4Add().set(dst);
  // Flush to zero below the smallest normal; NaN compares false and is kept.
  c.get(dst).get(dst).get(e.tiny).f32x4Lt().v128AndNot().set(dst);
}

/** v128 temporaries of expOfSum. */
export interface SumTemps {
  readonly hi: number;
  readonly lo: number;
  readonly t: number;
}

/**
 * dst = e^(x + shift) of the exact sum (TwoSum: hi + lo = x + shift), for x + shift <= 0 up to
 * rounding: the softmax kernels' e^(x - max) and e^(x - b_i), with x and shift float32 lanes.
 */
export function expOfSum(c: SimdCode, e: ExpLocals, x: number, shift: number, tmp: SumTemps, dst: number): void {
  c.get(x).get(shift).f32x4Add().set(tmp.hi);
  c.get(tmp.hi).get(x).f32x4Sub().set(tmp.t);
  c.get(x).get(tmp.hi).get(tmp.t).f32x4Sub().f32x4Sub();
  c.get(shift).get(tmp.t).f32x4Sub().f32x4Add().set(tmp.lo);
  expNonPositive(c, e, tmp.hi, tmp.lo, dst);
}

/**
 * v = v * scale lane by lane, the product taken in float64 (scale: two float64 lanes of one
 * value) and rounded once to float32; results below the smallest normal (`tiny`: FLOAT32_TINY in
 * four lanes) are stored as 0. The softmax kernels' normalising pass.
 */
export function scaleVector(c: SimdCode, v: number, scale: number, tiny: number): void {
  c.get(v).f64x2PromoteLowF32x4().get(scale).f64x2Mul().f32x4DemoteF64x2Zero();
  c.get(v).get(v).i8x16Shuffle(HIGH_HALF).f64x2PromoteLowF32x4().get(scale).f64x2Mul().f32x4DemoteF64x2Zero();
  c.i8x16Shuffle(LOW_HALVES).set(v);
  c.get(v).get(v).get(tiny).f32x4Lt().v128AndNot().set(v);
}
