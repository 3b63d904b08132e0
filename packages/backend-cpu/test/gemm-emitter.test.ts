import { describe, expect, it } from "vitest";
import { Code, F64, I32, ModuleBuilder, sleb, uleb } from "../src/wasm/wasm-emitter.js";
import { buildKernelModule } from "../src/kernel-module.js";
import { DEFAULT_SHAPES } from "../src/wasm/gemm-driver.js";
import { detectSimd } from "../src/wasm/simd-support.js";

describe("wasm emitter", () => {
  it("encodes LEB128 like the spec examples", () => {
    const u = (v: number): number[] => {
      const out: number[] = [];
      uleb(out, v);
      return out;
    };
    const s = (v: number): number[] => {
      const out: number[] = [];
      sleb(out, v);
      return out;
    };
    expect(u(0)).toEqual([0]);
    expect(u(127)).toEqual([0x7f]);
    expect(u(128)).toEqual([0x80, 0x01]);
    expect(u(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(u(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(s(-1)).toEqual([0x7f]);
    expect(s(63)).toEqual([0x3f]);
    expect(s(64)).toEqual([0xc0, 0x00]);
    expect(s(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it("emits a module that links a memory and runs loops, loads and stores", () => {
    // sum(ptr, count): f64 sum of `count` float64 values at `ptr`, stored back at ptr.
    const m = new ModuleBuilder();
    m.importMemory({ module: "env", name: "memory", initial: 1, shared: false });
    const c = new Code();
    const [ptr, count, i, acc, p] = [0, 1, 2, 3, 4];
    c.get(ptr).set(p);
    c.block().loop();
    c.get(i).get(count).i32LtS().i32Eqz().brIf(1);
    c.get(acc).get(p).f64Load().f64Add().set(acc);
    c.get(p).i32Const(8).i32Add().set(p);
    c.get(i).i32Const(1).i32Add().set(i);
    c.br(0).end().end();
    c.get(ptr).get(acc).f64Store();
    m.func([I32, I32], [], [I32, F64, I32], c, "sum");
    const bytes = m.emit();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const f64 = new Float64Array(memory.buffer);
    f64.set([1.5, 2.25, -4, 8], 1);
    (exports.sum as (ptr: number, count: number) => void)(8, 4);
    expect(f64[1]).toBe(7.75);
  });

  it("builds GEMM modules that validate for shared and unshared memories", () => {
    const { simd, relaxed } = detectSimd();
    expect(typeof relaxed).toBe("boolean");
    if (!simd) return;
    for (const shared of [false, true]) {
      expect(WebAssembly.validate(buildKernelModule({ shared, relaxed: false, shapes: DEFAULT_SHAPES }))).toBe(true);
      if (relaxed) expect(WebAssembly.validate(buildKernelModule({ shared, relaxed: true, shapes: DEFAULT_SHAPES }))).toBe(true);
    }
  });
});
