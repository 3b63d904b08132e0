/**
 * Generates the GEMM WebAssembly module: for each dtype a register-blocked micro-kernel
 * (MR rows x NR columns of C held in v128 accumulators), a macro-kernel that sweeps it over a
 * packed block, and the two packing routines (pack.ts) that copy strided A and B into the
 * contiguous panels the micro-kernel streams through. The blocking loops that call these live
 * in wasm/gemm-driver.ts and parallel.ts; everything here runs per (MC x KC) x (KC x NC) block.
 *
 * Packed layouts (element units, zero padded to whole panels):
 *   A block: panels of MR rows; panel q holds A[q*MR + i, p] at q*MR*kc + p*MR + i.
 *   B block: panels of NR columns; panel q holds B[p, q*NR + j] at q*NR*kc + p*NR + j.
 * so the micro-kernel reads both with unit stride and constant offsets.
 */
import { addTo, type DTypeOps, Frame, type GemmDType, minTo, ops, whileLoop } from "../../wasm/codegen.js";
import { mirrorKernel } from "./mirror.js";
import { packKernel } from "./pack.js";
import { Code, ModuleBuilder, V128 } from "../../wasm/wasm-emitter.js";
import type { KernelShape } from "../../wasm/gemm-driver.js";
import { exportNames, type ModulePart } from "../../wasm/shared-module.js";

export { elementBytes, lanes, type GemmDType } from "../../wasm/codegen.js";

export interface GemmModuleOptions {
  /** Whether the imported memory is shared (the import must say so to link). */
  shared: boolean;
  /** Use f32x4/f64x2.relaxed_madd instead of mul + add. */
  relaxed: boolean;
  shapes: Record<GemmDType, KernelShape>;
}

/**
 * micro(ap, bp, c, ldc, kc, accumulate): C[0:MR, 0:NR] (=|+=) Apanel * Bpanel.
 * ldc is in bytes. The whole tile is kept in v128 locals, which TurboFan maps to registers.
 */
function microKernel(o: DTypeOps, s: KernelShape, relaxed: boolean): { f: Frame; code: Code } {
  const f = new Frame();
  const ap = f.param();
  const bp = f.param();
  const cp = f.param();
  const ldc = f.param();
  const kc = f.param();
  const accumulate = f.param();
  const nr = s.nv * o.lanes;
  const acc: number[][] = [];
  for (let r = 0; r < s.mr; r++) acc.push(Array.from({ length: s.nv }, () => f.local(V128)));
  const bv = Array.from({ length: s.nv }, () => f.local(V128));
  const av = f.local(V128);
  const c = new Code();

  for (const row of acc) for (const a of row) c.v128Zero().set(a);

  // One k step at unroll position u: load the NR-wide row of B, then per row of A one splat
  // feeding nv multiply-adds. Constant offsets keep address arithmetic out of the loop.
  const step = (u: number): void => {
    for (let v = 0; v < s.nv; v++) c.get(bp).v128Load((u * nr + v * o.lanes) * o.es).set(bv[v]!);
    for (let r = 0; r < s.mr; r++) {
      c.get(ap);
      o.splatLoad(c, (u * s.mr + r) * o.es);
      c.set(av);
      for (let v = 0; v < s.nv; v++) {
        const a = acc[r]![v]!;
        if (relaxed) {
          c.get(av).get(bv[v]!).get(a);
          o.vmadd(c);
        } else {
          c.get(a).get(av).get(bv[v]!);
          o.vmul(c);
          o.vadd(c);
        }
        c.set(a);
      }
    }
  };
  const advance = (steps: number): void => {
    addTo(c, ap, ap, steps * s.mr * o.es);
    addTo(c, bp, bp, steps * nr * o.es);
    addTo(c, kc, kc, -steps);
  };
  if (s.unroll > 1) {
    whileLoop(
      c,
      (c) => c.get(kc).i32Const(s.unroll).i32GeS(),
      () => {
        for (let u = 0; u < s.unroll; u++) step(u);
        advance(s.unroll);
      },
    );
  }
  whileLoop(
    c,
    (c) => c.get(kc).i32Const(0).i32GtS(),
    () => {
      step(0);
      advance(1);
    },
  );

  // Write back row by row; unaligned v128 stores are fine (alignment hints are 0).
  const storeRows = (add: boolean): void => {
    for (let r = 0; r < s.mr; r++) {
      for (let v = 0; v < s.nv; v++) {
        const off = v * 16;
        c.get(cp);
        if (add) {
          c.get(cp).v128Load(off).get(acc[r]![v]!);
          o.vadd(c);
        } else c.get(acc[r]![v]!);
        c.v128Store(off);
      }
      if (r + 1 < s.mr) c.get(cp).get(ldc).i32Add().set(cp);
    }
  };
  c.get(accumulate).if();
  storeRows(true);
  c.else();
  storeRows(false);
  c.end();
  return { f, code: c };
}

/**
 * macro(mc, nc, kc, ap, bp, c, ldc, accumulate, tmp): sweeps the micro-kernel over a packed
 * mc x kc A block and kc x nc B block. Edge tiles (mr < MR or nr < NR) are computed whole into
 * `tmp` (the packed panels are zero padded) and only their valid part is copied to C, so the
 * micro-kernel never needs masked stores.
 */
function macroKernel(o: DTypeOps, s: KernelShape, micro: number): { f: Frame; code: Code } {
  const f = new Frame();
  const mc = f.param();
  const nc = f.param();
  const kc = f.param();
  const ap = f.param();
  const bp = f.param();
  const cp = f.param();
  const ldc = f.param();
  const accumulate = f.param();
  const tmp = f.param();
  const jr = f.local();
  const ir = f.local();
  const mr = f.local();
  const nr = f.local();
  const apCur = f.local();
  const bpCur = f.local();
  const cTile = f.local();
  const cCol = f.local();
  const i = f.local();
  const j = f.local();
  const src = f.local();
  const dst = f.local();
  const MR = s.mr;
  const NR = s.nv * o.lanes;
  const c = new Code();

  c.i32Const(0).set(jr).get(bp).set(bpCur).get(cp).set(cCol);
  whileLoop(
    c,
    (c) => c.get(jr).get(nc).i32LtS(),
    () => {
      minTo(
        c,
        nr,
        (c) => c.i32Const(NR),
        (c) => c.get(nc).get(jr).i32Sub(),
      );
      c.i32Const(0).set(ir).get(ap).set(apCur).get(cCol).set(cTile);
      whileLoop(
        c,
        (c) => c.get(ir).get(mc).i32LtS(),
        () => {
          minTo(
            c,
            mr,
            (c) => c.i32Const(MR),
            (c) => c.get(mc).get(ir).i32Sub(),
          );
          c.get(mr).i32Const(MR).i32Eq().get(nr).i32Const(NR).i32Eq();
          c.i32And();
          c.if();
          c.get(apCur).get(bpCur).get(cTile).get(ldc).get(kc).get(accumulate).call(micro);
          c.else();
          c.get(apCur).get(bpCur).get(tmp).i32Const(NR * o.es).get(kc).i32Const(0).call(micro);
          // Copy the valid mr x nr corner of tmp into C.
          c.i32Const(0).set(i);
          whileLoop(
            c,
            (c) => c.get(i).get(mr).i32LtS(),
            () => {
              c.get(tmp).get(i).i32Const(NR * o.es).i32Mul().i32Add().set(src);
              c.get(cTile).get(i).get(ldc).i32Mul().i32Add().set(dst);
              c.i32Const(0).set(j);
              whileLoop(
                c,
                (c) => c.get(j).get(nr).i32LtS(),
                () => {
                  // C = tmp + (accumulate ? C : 0); select keeps it branch free.
                  c.get(dst).get(src);
                  o.load(c, 0);
                  c.get(dst);
                  o.load(c, 0);
                  o.zero(c);
                  c.get(accumulate).select();
                  o.add(c);
                  o.store(c, 0);
                  addTo(c, src, src, o.es);
                  addTo(c, dst, dst, o.es);
                  addTo(c, j, j, 1);
                },
              );
              addTo(c, i, i, 1);
            },
          );
          c.end();
          c.get(apCur).get(kc).i32Const(MR * o.es).i32Mul().i32Add().set(apCur);
          c.get(cTile).get(ldc).i32Const(MR).i32Mul().i32Add().set(cTile);
          addTo(c, ir, ir, MR);
        },
      );
      c.get(bpCur).get(kc).i32Const(NR * o.es).i32Mul().i32Add().set(bpCur);
      addTo(c, cCol, cCol, NR * o.es);
      addTo(c, jr, jr, NR);
    },
  );
  return { f, code: c };
}

/**
 * Builds the module bytes; it imports `env.memory` and exports macro/packA/packB/mirror per dtype,
 * then the functions of `parts` (the softmax kernels, see kernel-module.ts), so the worker threads
 * can share those too.
 */
export function buildGemmModule(options: GemmModuleOptions, parts: readonly ModulePart[] = []): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory({ module: "env", name: "memory", initial: 0, maximum: options.shared ? 65536 : undefined, shared: options.shared });
  for (const dtype of ["float32", "float64"] as const) {
    const o = ops(dtype);
    const shape = options.shapes[dtype];
    const names = exportNames(dtype);
    const micro = microKernel(o, shape, options.relaxed);
    const microIndex = m.func(micro.f.params, [], micro.f.locals, micro.code);
    const macro = macroKernel(o, shape, microIndex);
    m.func(macro.f.params, [], macro.f.locals, macro.code, names.macro);
    const packA = packKernel(o, shape.mr);
    m.func(packA.f.params, [], packA.f.locals, packA.code, names.packA);
    const packB = packKernel(o, shape.nv * o.lanes);
    m.func(packB.f.params, [], packB.f.locals, packB.code, names.packB);
    const mirror = mirrorKernel(o);
    m.func(mirror.f.params, [], mirror.f.locals, mirror.code, names.mirror);
  }
  for (const part of parts) part(m);
  return m.emit();
}

export { detectSimd } from "../../wasm/simd-support.js";
