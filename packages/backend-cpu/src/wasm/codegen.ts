/**
 * Small helpers shared by the kernel generators: naming locals, structured loops, and the
 * per-dtype instruction choices (f32x4 or f64x2), so the kernels (kernels/*) read like wasm text.
 */
import { type Code, I32, type ValType } from "./wasm-emitter.js";

export type GemmDType = "float32" | "float64";

/** Lanes per v128 and bytes per element. */
export function lanes(dtype: GemmDType): number {
  return dtype === "float32" ? 4 : 2;
}
export function elementBytes(dtype: GemmDType): number {
  return dtype === "float32" ? 4 : 8;
}

/** Hands out parameter and local indices so generators can name their variables. */
export class Frame {
  readonly params: ValType[] = [];
  readonly locals: ValType[] = [];
  param(t: ValType = I32): number {
    return this.params.push(t) - 1;
  }
  /** Locals must be declared after all params (their indices follow). */
  local(t: ValType = I32): number {
    return this.params.length + this.locals.push(t) - 1;
  }
}

/** `dst = get(src) + value` for i32 locals (pointer bumps). */
export function addTo(c: Code, dst: number, src: number, value: number): void {
  c.get(src).i32Const(value).i32Add().set(dst);
}

/** `loop { if !(cond) break; body; }` with cond pushing an i32 on the stack. */
export function whileLoop(c: Code, cond: (c: Code) => void, body: (c: Code) => void): void {
  c.block().loop();
  cond(c);
  c.i32Eqz().brIf(1);
  body(c);
  c.br(0).end().end();
}

/** `min(a, b)` of two i32 locals into dst (signed). */
export function minTo(c: Code, dst: number, a: (c: Code) => void, b: (c: Code) => void): void {
  a(c);
  b(c);
  a(c);
  b(c);
  c.i32LtS().select().set(dst);
}

export interface DTypeOps {
  es: number;
  lanes: number;
  load(c: Code, offset: number): void;
  store(c: Code, offset: number): void;
  zero(c: Code): void;
  add(c: Code): void;
  splatLoad(c: Code, offset: number): void;
  vadd(c: Code): void;
  vmul(c: Code): void;
  vmadd(c: Code): void;
}

export function ops(dtype: GemmDType): DTypeOps {
  if (dtype === "float32") {
    return {
      es: 4,
      lanes: 4,
      load: (c, o) => c.f32Load(o),
      store: (c, o) => c.f32Store(o),
      zero: (c) => c.f32Const(0),
      add: (c) => c.f32Add(),
      splatLoad: (c, o) => c.v128Load32Splat(o),
      vadd: (c) => c.f32x4Add(),
      vmul: (c) => c.f32x4Mul(),
      vmadd: (c) => c.f32x4RelaxedMadd(),
    };
  }
  return {
    es: 8,
    lanes: 2,
    load: (c, o) => c.f64Load(o),
    store: (c, o) => c.f64Store(o),
    zero: (c) => c.f64Const(0),
    add: (c) => c.f64Add(),
    splatLoad: (c, o) => c.v128Load64Splat(o),
    vadd: (c) => c.f64x2Add(),
    vmul: (c) => c.f64x2Mul(),
    vmadd: (c) => c.f64x2RelaxedMadd(),
  };
}

