import { Code, ModuleBuilder, V128 } from "./wasm-emitter.js";

/** Whether this engine accepts a v128 instruction, and relaxed_madd in particular. */
export function detectSimd(): { simd: boolean; relaxed: boolean } {
  const probe = (build: (c: Code) => void): boolean => {
    const m = new ModuleBuilder();
    const c = new Code();
    build(c);
    m.func([V128, V128, V128], [V128], [], c);
    try {
      return WebAssembly.validate(m.emit());
    } catch {
      return false;
    }
  };
  const simd = probe((c) => c.get(0).get(1).f32x4Mul());
  const relaxed = simd && probe((c) => c.get(0).get(1).get(2).f32x4RelaxedMadd());
  return { simd, relaxed };
}

