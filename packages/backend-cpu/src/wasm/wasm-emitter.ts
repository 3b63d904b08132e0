/**
 * A tiny WebAssembly binary emitter: just enough of the format (types, one imported memory,
 * functions, exports, code) and of the instruction set (i32, f32/f64 scalars, v128) to emit the
 * GEMM kernels at run time. Writing bytes directly keeps the package free of a wasm toolchain
 * and lets the kernels be specialised (tile shape, dtype, relaxed SIMD) on the machine they run on.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128, the encoding of every count, index and size in the binary format. */
export function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Signed LEB128, for i32.const immediates. */
export function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** SIMD instructions are 0xfd followed by a LEB128 sub-opcode. */
const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  load64Splat: 0x0a,
  store: 0x0b,
  const: 0x0c,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  f32x4RelaxedMadd: 0x105,
  f64x2RelaxedMadd: 0x107,
} as const;

/**
 * A function body under construction. Methods append one instruction each and return `this`,
 * so kernel generators read like the wasm text format.
 */
export class Code {
  readonly bytes: number[] = [];

  private op(byte: number): this {
    this.bytes.push(byte);
    return this;
  }
  private simd(sub: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, sub);
    return this;
  }
  /** memarg: alignment exponent (a hint) and a constant byte offset added to the address. */
  private mem(align: number, offset: number): this {
    uleb(this.bytes, align);
    uleb(this.bytes, offset);
    return this;
  }

  // Control. Blocks and loops here never yield values (block type 0x40).
  block(): this {
    return this.op(0x02).op(0x40);
  }
  loop(): this {
    return this.op(0x03).op(0x40);
  }
  if(): this {
    return this.op(0x04).op(0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(this.bytes, depth);
    return this;
  }
  brIf(depth: number): this {
    this.op(0x0d);
    uleb(this.bytes, depth);
    return this;
  }
  return(): this {
    return this.op(0x0f);
  }
  call(func: number): this {
    this.op(0x10);
    uleb(this.bytes, func);
    return this;
  }
  drop(): this {
    return this.op(0x1a);
  }
  select(): this {
    return this.op(0x1b);
  }

  // Locals.
  get(local: number): this {
    this.op(0x20);
    uleb(this.bytes, local);
    return this;
  }
  set(local: number): this {
    this.op(0x21);
    uleb(this.bytes, local);
    return this;
  }
  tee(local: number): this {
    this.op(0x22);
    uleb(this.bytes, local);
    return this;
  }

  // Scalar memory.
  f32Load(offset = 0): this {
    return this.op(0x2a).mem(2, offset);
  }
  f64Load(offset = 0): this {
    return this.op(0x2b).mem(3, offset);
  }
  f32Store(offset = 0): this {
    return this.op(0x38).mem(2, offset);
  }
  f64Store(offset = 0): this {
    return this.op(0x39).mem(3, offset);
  }

  // i32 arithmetic and comparisons.
  i32Const(value: number): this {
    this.op(0x41);
    sleb(this.bytes, value);
    return this;
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Eq(): this {
    return this.op(0x46);
  }
  i32Ne(): this {
    return this.op(0x47);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32And(): this {
    return this.op(0x71);
  }

  // Float scalars.
  f32Const(value: number): this {
    this.op(0x43);
    const b = new Uint8Array(new Float32Array([value]).buffer);
    this.bytes.push(...b);
    return this;
  }
  f64Const(value: number): this {
    this.op(0x44);
    const b = new Uint8Array(new Float64Array([value]).buffer);
    this.bytes.push(...b);
    return this;
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Sub(): this {
    return this.op(0x93);
  }
  f64Add(): this {
    return this.op(0xa0);
  }

  // v128. Alignment hints are 0: operands may sit at any byte offset the caller chose.
  v128Load(offset = 0): this {
    return this.simd(SIMD.load).mem(0, offset);
  }
  v128Store(offset = 0): this {
    return this.simd(SIMD.store).mem(0, offset);
  }
  v128Load32Splat(offset = 0): this {
    return this.simd(SIMD.load32Splat).mem(0, offset);
  }
  v128Load64Splat(offset = 0): this {
    return this.simd(SIMD.load64Splat).mem(0, offset);
  }
  v128Zero(): this {
    this.simd(SIMD.const);
    for (let i = 0; i < 16; i++) this.bytes.push(0);
    return this;
  }
  f32x4Splat(): this {
    return this.simd(SIMD.f32x4Splat);
  }
  f64x2Splat(): this {
    return this.simd(SIMD.f64x2Splat);
  }
  f32x4Add(): this {
    return this.simd(SIMD.f32x4Add);
  }
  f32x4Mul(): this {
    return this.simd(SIMD.f32x4Mul);
  }
  f64x2Add(): this {
    return this.simd(SIMD.f64x2Add);
  }
  f64x2Mul(): this {
    return this.simd(SIMD.f64x2Mul);
  }
  /** a*b+c with the operands pushed in that order; fused or not, as the engine chooses. */
  f32x4RelaxedMadd(): this {
    return this.simd(SIMD.f32x4RelaxedMadd);
  }
  f64x2RelaxedMadd(): this {
    return this.simd(SIMD.f64x2RelaxedMadd);
  }
}

interface FuncDef {
  type: number;
  locals: ValType[];
  body: Code;
}

/** Limits of the imported memory. A shared memory must declare a maximum. */
export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum?: number;
  shared: boolean;
}

/** Collects types, functions and exports, then serialises the module. */
export class ModuleBuilder {
  private types: { params: ValType[]; results: ValType[] }[] = [];
  private funcs: FuncDef[] = [];
  private exports: { name: string; func: number }[] = [];
  private memory: MemoryImport | undefined;

  importMemory(memory: MemoryImport): void {
    if (memory.shared && memory.maximum === undefined) throw new Error("a shared memory import needs a maximum");
    this.memory = memory;
  }

  /** Declares a function (no imported functions exist, so indices start at 0) and returns its index. */
  func(params: ValType[], results: ValType[], locals: ValType[], body: Code, exportName?: string): number {
    const key = JSON.stringify([params, results]);
    let type = this.types.findIndex((t) => JSON.stringify([t.params, t.results]) === key);
    if (type < 0) type = this.types.push({ params, results }) - 1;
    const index = this.funcs.push({ type, locals, body }) - 1;
    if (exportName !== undefined) this.exports.push({ name: exportName, func: index });
    return index;
  }

  /** Reserves a function index before its body is known (for callees generated later). */
  get nextFuncIndex(): number {
    return this.funcs.length;
  }

  emit(): Uint8Array<ArrayBuffer> {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]): void => {
      out.push(id);
      uleb(out, content.length);
      for (const b of content) out.push(b);
    };
    const vec = <T>(items: T[], each: (s: number[], item: T) => void): number[] => {
      const s: number[] = [];
      uleb(s, items.length);
      for (const item of items) each(s, item);
      return s;
    };
    const name = (s: number[], text: string): void => {
      const utf8 = new TextEncoder().encode(text);
      uleb(s, utf8.length);
      for (const b of utf8) s.push(b);
    };

    section(
      1,
      vec(this.types, (s, t) => {
        s.push(0x60);
        uleb(s, t.params.length);
        s.push(...t.params);
        uleb(s, t.results.length);
        s.push(...t.results);
      }),
    );
    const memory = this.memory;
    if (memory) {
      section(
        2,
        vec([memory], (s, m) => {
          name(s, m.module);
          name(s, m.name);
          s.push(0x02); // memory import
          // Limits flags: bit 0 = has maximum, bit 1 = shared.
          s.push((m.maximum !== undefined ? 1 : 0) | (m.shared ? 2 : 0));
          uleb(s, m.initial);
          if (m.maximum !== undefined) uleb(s, m.maximum);
        }),
      );
    }
    section(3, vec(this.funcs, (s, f) => uleb(s, f.type)));
    section(
      7,
      vec(this.exports, (s, e) => {
        name(s, e.name);
        s.push(0x00); // function export
        uleb(s, e.func);
      }),
    );
    section(
      10,
      vec(this.funcs, (s, f) => {
        const body: number[] = [];
        // Locals are declared as runs of equal types.
        const runs: { count: number; type: ValType }[] = [];
        for (const t of f.locals) {
          const last = runs[runs.length - 1];
          if (last && last.type === t) last.count++;
          else runs.push({ count: 1, type: t });
        }
        uleb(body, runs.length);
        for (const r of runs) {
          uleb(body, r.count);
          body.push(r.type);
        }
        for (const b of f.body.bytes) body.push(b);
        body.push(0x0b); // function end
        uleb(s, body.length);
        for (const b of body) s.push(b);
      }),
    );
    return new Uint8Array(out);
  }
}
