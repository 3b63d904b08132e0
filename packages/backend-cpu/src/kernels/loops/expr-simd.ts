/**
 * Emits an elementwise expression (expr.ts) as WebAssembly SIMD over four float32 elements, in
 * one of two precisions, each mirroring the JavaScript loops so both forms agree bit for bit
 * except exp (the float32 vector exp of exp-simd.ts, within about one float32 ulp, subnormals
 * flushed):
 * - float32 lanes, rounding after every operation, for loops that compute in float32
 *   (computesInFloat32). Three to five times faster than float64 halves on the Yang layer's
 *   chains: no conversions, and IEEE max/min in one lane width.
 * - two float64x2 halves otherwise, where fused intermediates are doubles rounded once at the
 *   store. Reductions always accumulate in float64 halves.
 */
import type { Frame } from "../../wasm/codegen.js";
import { V128 } from "../../wasm/wasm-emitter.js";
import { type ExpLocals, HIGH_HALF, LOW_HALVES, expLocals, expNonPositive } from "../../wasm/exp-simd.js";
import type { Expr } from "./expr.js";
import type { LoopCode } from "./loop-code.js";

/** Two f64x2 locals: lanes 0-1 and 2-3. The same local twice when all four lanes are equal. */
export type Pair = readonly [number, number];

const SUPPORTED_UNARY = new Set(["neg", "abs", "sqrt", "exp", "stopGradient"]);
const SUPPORTED_BINARY = new Set(["add", "sub", "mul", "div", "max", "min", "greater", "greaterEqual", "equal"]);

/** Whether every node of the expression has a SIMD form here. */
export function simdSupports(expr: Expr): boolean {
  switch (expr.kind) {
    case "input":
      return true;
    case "cast":
      return simdSupports(expr.arg);
    case "unary":
      return SUPPORTED_UNARY.has(expr.op) && simdSupports(expr.arg);
    case "binary":
      return SUPPORTED_BINARY.has(expr.op) && simdSupports(expr.args[0]) && simdSupports(expr.args[1]);
  }
}

/** e^x stays finite in float32 up to here; above it the result is +Infinity. */
const EXP_OVERFLOW = 88.72283935546875;
/** Clamp of the float32 argument handed to expNonPositive: keeps 2^k within float32 (k <= 127). */
const EXP_CLAMP = 88.25;

/**
 * Generates code for expressions inside one function. Constants live in locals initialised in
 * `prologue` (run once, before any loop), created on first use.
 */
export class ExprEmitter {
  private readonly consts = new Map<string, number>();
  private exp: ExpLocals | undefined;

  /**
   * `float32`: values are one float32x4 local, held as a pair of that local twice, and every
   * operation rounds to float32; otherwise values are float64x2 halves.
   */
  constructor(
    private readonly f: Frame,
    private readonly c: LoopCode,
    private readonly prologue: LoopCode,
    private readonly float32 = false,
  ) {}

  private constant(key: string, init: (c: LoopCode) => void): number {
    let local = this.consts.get(key);
    if (local === undefined) {
      local = this.f.local(V128);
      init(this.prologue);
      this.prologue.set(local);
      this.consts.set(key, local);
    }
    return local;
  }
  f64Splat(value: number): number {
    return this.constant(`f64 ${value}`, (c) => c.f64Const(value).f64x2Splat());
  }
  f32Splat(value: number): number {
    return this.constant(`f32 ${value}`, (c) => c.f32Const(value).f32x4Splat());
  }

  /** Splits the f32x4 in `v` into a pair (one half when all lanes are equal, as in a splat). */
  split(v: number, uniform: boolean): Pair {
    const l = this.f.local(V128);
    this.c.get(v).f64x2PromoteLowF32x4().set(l);
    if (uniform) return [l, l];
    const h = this.f.local(V128);
    this.c.get(v).get(v).i8x16Shuffle(HIGH_HALF).f64x2PromoteLowF32x4().set(h);
    return [l, h];
  }

  /** An expression input loaded as the f32x4 in `v` (all lanes equal when `uniform`). */
  input(v: number, uniform: boolean): Pair {
    return this.float32 ? [v, v] : this.split(v, uniform);
  }

  /** Pushes an expression's value as an f32x4; unless `full`, only lane 0 is wanted. */
  pushValue(p: Pair, full: boolean): void {
    if (this.float32) this.c.get(p[0]);
    else this.pushJoined(p, full);
  }

  /** An expression's value as float64 halves, for accumulating (lane 0 alone unless `full`). */
  toFloat64(p: Pair, full: boolean): Pair {
    return this.float32 ? this.split(p[0], !full) : p;
  }

  /** Pushes the f32x4 rounding of a pair of float64 halves; unless `full`, only lane 0 is wanted. */
  pushJoined(p: Pair, full: boolean): void {
    this.c.get(p[0]).f32x4DemoteF64x2Zero();
    if (full) this.c.get(p[1]).f32x4DemoteF64x2Zero().i8x16Shuffle(LOW_HALVES);
  }

  /** Applies `op` lane-wise: emit(half) pushes the operands of that half; results in new locals. */
  private map(args: readonly Pair[], emit: (half: 0 | 1) => void): Pair {
    const uniform = args.every((a) => a[0] === a[1]);
    const l = this.f.local(V128);
    emit(0);
    this.c.set(l);
    if (uniform) return [l, l];
    const h = this.f.local(V128);
    emit(1);
    this.c.set(h);
    return [l, h];
  }

  emit(expr: Expr, leaf: (index: number) => Pair): Pair {
    if (this.float32) {
      const v = this.emit32(expr, leaf);
      return [v, v];
    }
    const c = this.c;
    switch (expr.kind) {
      case "input":
        return leaf(expr.index);
      case "cast": {
        const a = this.emit(expr.arg, leaf);
        if (expr.to !== "float32") return a;
        return this.map([a], (k) => c.get(a[k]).f32x4DemoteF64x2Zero().f64x2PromoteLowF32x4());
      }
      case "unary": {
        const a = this.emit(expr.arg, leaf);
        switch (expr.op) {
          case "stopGradient":
            return a;
          case "neg":
            return this.map([a], (k) => c.get(a[k]).f64x2Neg());
          case "abs":
            return this.map([a], (k) => c.get(a[k]).f64x2Abs());
          case "sqrt":
            return this.map([a], (k) => c.get(a[k]).f64x2Sqrt());
          case "exp":
            return this.expPair(a);
          default:
            throw new Error(`no SIMD form for ${expr.op}`);
        }
      }
      case "binary": {
        const a = this.emit(expr.args[0], leaf);
        const b = this.emit(expr.args[1], leaf);
        const both = (k: 0 | 1): LoopCode => c.get(a[k]).get(b[k]);
        const one = (): number => this.f64Splat(1);
        switch (expr.op) {
          case "add":
            return this.map([a, b], (k) => both(k).f64x2Add());
          case "sub":
            return this.map([a, b], (k) => both(k).f64x2Sub());
          case "mul":
            return this.map([a, b], (k) => both(k).f64x2Mul());
          case "div":
            return this.map([a, b], (k) => both(k).f64x2Div());
          case "max":
            return this.map([a, b], (k) => both(k).f64x2Max());
          case "min":
            return this.map([a, b], (k) => both(k).f64x2Min());
          // Comparisons give all-ones lanes; and-ing with 1.0 makes them 1 or 0 (NaN compares false).
          case "greater":
            return this.map([a, b], (k) => both(k).f64x2Gt().get(one()).v128And());
          case "greaterEqual":
            return this.map([a, b], (k) => both(k).f64x2Ge().get(one()).v128And());
          case "equal":
            return this.map([a, b], (k) => both(k).f64x2Eq().get(one()).v128And());
          default:
            throw new Error(`no SIMD form for ${expr.op}`);
        }
      }
    }
  }

  /** The float32-lanes form of emit: one f32x4 local, every operation rounded to float32. */
  private emit32(expr: Expr, leaf: (index: number) => Pair): number {
    const c = this.c;
    const result = (push: () => void): number => {
      const v = this.f.local(V128);
      push();
      c.set(v);
      return v;
    };
    switch (expr.kind) {
      case "input":
        return leaf(expr.index)[0];
      case "cast":
        // computesInFloat32 admits only casts to float32, which do nothing here.
        return this.emit32(expr.arg, leaf);
      case "unary": {
        const a = this.emit32(expr.arg, leaf);
        switch (expr.op) {
          case "stopGradient":
            return a;
          case "neg":
            return result(() => c.get(a).f32x4Neg());
          case "abs":
            return result(() => c.get(a).f32x4Abs());
          case "sqrt":
            return result(() => c.get(a).f32x4Sqrt());
          case "exp": {
            // The float64-halves exp, rounded once to float32: the same e^a as the other form.
            const e = this.expPair(this.split(a, false));
            return result(() => this.pushJoined(e, true));
          }
          default:
            throw new Error(`no SIMD form for ${expr.op}`);
        }
      }
      case "binary": {
        const a = this.emit32(expr.args[0], leaf);
        const b = this.emit32(expr.args[1], leaf);
        const both = (): LoopCode => c.get(a).get(b);
        const one = (): number => this.f32Splat(1);
        switch (expr.op) {
          case "add":
            return result(() => both().f32x4Add());
          case "sub":
            return result(() => both().f32x4Sub());
          case "mul":
            return result(() => both().f32x4Mul());
          case "div":
            return result(() => both().f32x4Div());
          case "max":
            return result(() => both().f32x4Max());
          case "min":
            return result(() => both().f32x4Min());
          case "greater":
            return result(() => both().f32x4Gt().get(one()).v128And());
          case "greaterEqual":
            return result(() => both().f32x4Ge().get(one()).v128And());
          case "equal":
            return result(() => both().f32x4Eq().get(one()).v128And());
          default:
            throw new Error(`no SIMD form for ${expr.op}`);
        }
      }
    }
  }

  /**
   * e^a for any a. expNonPositive is exact-argument (hi + lo) but its 2^k scale only reaches
   * 2^127, so positive lanes compute e^(a - ln2) (in float64, exact enough) and double it; the
   * float32 argument is clamped, and lanes past float32 overflow become +Infinity.
   */
  private expPair(a: Pair): Pair {
    const c = this.c;
    const e = (this.exp ??= expLocals(this.f, this.prologue));
    const zero = this.f64Splat(0);
    const ln2 = this.f64Splat(Math.LN2);
    const pos: number[] = [];
    const shifted: number[] = [];
    for (const k of [0, 1] as const) {
      const p = this.f.local(V128);
      const s = this.f.local(V128);
      c.get(a[k]).get(zero).f64x2Gt().tee(p);
      c.get(ln2).v128And().set(s);
      c.get(a[k]).get(s).f64x2Sub().set(s);
      pos.push(p);
      shifted.push(s);
    }
    // hi = the float32 rounding of all four lanes, lo = what rounding dropped.
    const hi = this.f.local(V128);
    const lo = this.f.local(V128);
    const dst = this.f.local(V128);
    c.get(shifted[0]!).f32x4DemoteF64x2Zero().get(shifted[1]!).f32x4DemoteF64x2Zero().i8x16Shuffle(LOW_HALVES).set(hi);
    c.get(shifted[0]!).get(hi).f64x2PromoteLowF32x4().f64x2Sub().f32x4DemoteF64x2Zero();
    c.get(shifted[1]!).get(hi).get(hi).i8x16Shuffle(HIGH_HALF).f64x2PromoteLowF32x4().f64x2Sub().f32x4DemoteF64x2Zero();
    c.i8x16Shuffle(LOW_HALVES).set(lo);
    // Clamp hi (pmin keeps a NaN); lo only counts where hi was not clamped (it is NaN at +-Inf).
    const clamp = this.f32Splat(EXP_CLAMP);
    c.get(lo).get(hi).get(clamp).f32x4Lt().v128And().set(lo);
    c.get(hi).get(clamp).f32x4Pmin().set(hi);
    expNonPositive(c, e, hi, lo, dst);
    const halves = this.split(dst, a[0] === a[1]);
    const two = this.f64Splat(2);
    const one = this.f64Splat(1);
    const inf = this.f64Splat(Infinity);
    const overflow = this.f64Splat(EXP_OVERFLOW);
    return this.map([a], (k) => {
      // (pos ? 2 : 1) * e^(shifted), then +Infinity past overflow.
      c.get(inf).get(halves[k]).get(two).get(one).get(pos[k]!).v128Bitselect().f64x2Mul();
      c.get(a[k]).get(overflow).f64x2Gt().v128Bitselect();
    });
  }
}
