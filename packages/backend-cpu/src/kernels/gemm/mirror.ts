/**
 * Generates mirror(c, ldc, n, i0, i1): copies the lower triangle of an n x n matrix onto its
 * upper one for rows [i0, min(i1, n)), C[i][j] = C[j][i] for j > i. A symmetric product (A A^T)
 * computes only its lower triangle, and this fills in the rest: whole lanes x lanes blocks
 * are transposed in registers (four loads, eight shuffles, four stores for float32), so the
 * copy costs a small fraction of the half product it saves. `c` and `ldc` are in bytes; i0
 * must be a multiple of the lane count (callers split rows in such bands).
 */
import { addTo, type DTypeOps, Frame, whileLoop } from "../../wasm/codegen.js";
import { V128 } from "../../wasm/wasm-emitter.js";
import { SimdCode } from "../../wasm/exp-simd.js";

/** Byte-lane indices of a shuffle taking the given element lanes (a's are 0..L-1, b's L..2L-1). */
function elementLanes(bytes: number, lanes: readonly number[]): number[] {
  return lanes.flatMap((l) => Array.from({ length: bytes }, (_, b) => l * bytes + b));
}

export function mirrorKernel(o: DTypeOps): { f: Frame; code: SimdCode } {
  const f = new Frame();
  const c0 = f.param();
  const ldc = f.param();
  const n = f.param();
  const i0 = f.param();
  const i1 = f.param();
  const ib = f.local();
  const jb = f.local();
  const end = f.local();
  const src = f.local();
  const dst = f.local();
  const diag = f.local();
  const j = f.local();
  const L = o.lanes;
  const es = o.es;
  // Row pointers a * ldc for a < L, kept in locals (ldc is only known at run time).
  const rowOffset = Array.from({ length: L }, () => f.local());
  const r = Array.from({ length: L }, () => f.local(V128));
  const t = Array.from({ length: L }, () => f.local(V128));
  const c = new SimdCode();

  for (let a = 0; a < L; a++) c.get(ldc).i32Const(a).i32Mul().set(rowOffset[a]!);
  // end = min(i1, n)
  c.get(i1).get(n).get(i1).get(n).i32LtS().select().set(end);
  c.get(i0).set(ib);

  const at = (rowBase: number, a: number): void => {
    c.get(rowBase).get(rowOffset[a]!).i32Add();
  };
  /** Transposes r[0..L) into t[0..L): t[b] lane a = r[a] lane b. */
  const transpose = (): void => {
    if (L === 2) {
      c.get(r[0]!).get(r[1]!).i8x16Shuffle(elementLanes(8, [0, 2])).set(t[0]!);
      c.get(r[0]!).get(r[1]!).i8x16Shuffle(elementLanes(8, [1, 3])).set(t[1]!);
      return;
    }
    // Interleave row pairs, then join their halves (the classic 4x4 transpose).
    const u = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    c.get(r[0]!).get(r[1]!).i8x16Shuffle(elementLanes(4, [0, 4, 1, 5])).set(u[0]!);
    c.get(r[0]!).get(r[1]!).i8x16Shuffle(elementLanes(4, [2, 6, 3, 7])).set(u[1]!);
    c.get(r[2]!).get(r[3]!).i8x16Shuffle(elementLanes(4, [0, 4, 1, 5])).set(u[2]!);
    c.get(r[2]!).get(r[3]!).i8x16Shuffle(elementLanes(4, [2, 6, 3, 7])).set(u[3]!);
    c.get(u[0]!).get(u[2]!).i8x16Shuffle(elementLanes(4, [0, 1, 4, 5])).set(t[0]!);
    c.get(u[0]!).get(u[2]!).i8x16Shuffle(elementLanes(4, [2, 3, 6, 7])).set(t[1]!);
    c.get(u[1]!).get(u[3]!).i8x16Shuffle(elementLanes(4, [0, 1, 4, 5])).set(t[2]!);
    c.get(u[1]!).get(u[3]!).i8x16Shuffle(elementLanes(4, [2, 3, 6, 7])).set(t[3]!);
  };

  // Whole bands of L rows.
  whileLoop(
    c,
    (c) => c.get(end).get(ib).i32Const(L).i32Add().i32GeS(),
    () => {
      // The diagonal block's strict upper part, element by element.
      c.get(c0).get(ib).get(ldc).i32Mul().i32Add().get(ib).i32Const(es).i32Mul().i32Add().set(diag);
      for (let a = 0; a < L; a++) {
        for (let b = a + 1; b < L; b++) {
          at(diag, a);
          at(diag, b);
          o.load(c, a * es);
          o.store(c, b * es);
        }
      }
      // Whole blocks right of the diagonal: block (jb, ib) transposed into block (ib, jb).
      c.get(ib).i32Const(L).i32Add().set(jb);
      c.get(c0).get(jb).get(ldc).i32Mul().i32Add().get(ib).i32Const(es).i32Mul().i32Add().set(src);
      c.get(c0).get(ib).get(ldc).i32Mul().i32Add().get(jb).i32Const(es).i32Mul().i32Add().set(dst);
      whileLoop(
        c,
        (c) => c.get(n).get(jb).i32Const(L).i32Add().i32GeS(),
        () => {
          for (let a = 0; a < L; a++) {
            at(src, a);
            c.v128Load().set(r[a]!);
          }
          transpose();
          for (let b = 0; b < L; b++) {
            at(dst, b);
            c.get(t[b]!).v128Store();
          }
          c.get(src).get(rowOffset[L - 1]!).i32Add().get(ldc).i32Add().set(src);
          addTo(c, dst, dst, L * es);
          addTo(c, jb, jb, L);
        },
      );
      // Columns past the last whole block: one source row (jb) at a time.
      whileLoop(
        c,
        (c) => c.get(jb).get(n).i32LtS(),
        () => {
          for (let a = 0; a < L; a++) {
            at(dst, a);
            c.get(src);
            o.load(c, a * es);
            o.store(c, 0);
          }
          c.get(src).get(ldc).i32Add().set(src);
          addTo(c, dst, dst, es);
          addTo(c, jb, jb, 1);
        },
      );
      addTo(c, ib, ib, L);
    },
  );
  // Rows of a last partial band, element by element.
  whileLoop(
    c,
    (c) => c.get(ib).get(end).i32LtS(),
    () => {
      c.get(ib).i32Const(1).i32Add().set(j);
      c.get(c0).get(ib).i32Const(1).i32Add().get(ldc).i32Mul().i32Add().get(ib).i32Const(es).i32Mul().i32Add().set(src);
      c.get(c0).get(ib).get(ldc).i32Mul().i32Add().get(j).i32Const(es).i32Mul().i32Add().set(dst);
      whileLoop(
        c,
        (c) => c.get(j).get(n).i32LtS(),
        () => {
          c.get(dst).get(src);
          o.load(c, 0);
          o.store(c, 0);
          c.get(src).get(ldc).i32Add().set(src);
          addTo(c, dst, dst, es);
          addTo(c, j, j, 1);
        },
      );
      addTo(c, ib, ib, 1);
    },
  );
  return { f, code: c };
}
