/**
 * Generates the packing routines that copy strided A and B blocks into the contiguous,
 * zero-padded panels the micro-kernel streams through (layouts: see kernels.ts).
 */
import { addTo, type DTypeOps, Frame, minTo, whileLoop } from "../../wasm/codegen.js";
import { Code } from "../../wasm/wasm-emitter.js";

/**
 * pack(src, ls, ps, count, kc, dst), generated for a fixed panel width: copies `count` lines
 * (rows of A or columns of B, `ls` bytes apart) of kc elements (`ps` bytes apart) into panels of
 * `panel` lines, line index fastest, zero padding the last panel. Full panels use an unrolled line loop; a unit-stride
 * line direction (A^T rows, B columns of a row-major B) copies whole vectors.
 */
export function packKernel(o: DTypeOps, panel: number): { f: Frame; code: Code } {
  const f = new Frame();
  const src = f.param();
  const ls = f.param();
  const ps = f.param();
  const count = f.param();
  const kc = f.param();
  const dst = f.param();
  const q = f.local();
  const lines = f.local();
  const p = f.local();
  const s = f.local();
  const t = f.local();
  const l = f.local();
  const c = new Code();
  const panelBytes = panel * o.es;
  const vectorsPerLine = panelBytes % 16 === 0 ? panelBytes / 16 : 0;

  c.i32Const(0).set(q);
  whileLoop(
    c,
    (c) => c.get(q).get(count).i32LtS(),
    () => {
      minTo(
        c,
        lines,
        (c) => c.i32Const(panel),
        (c) => c.get(count).get(q).i32Sub(),
      );
      c.get(src).get(q).get(ls).i32Mul().i32Add().set(s);
      c.i32Const(0).set(p);
      c.get(lines).i32Const(panel).i32Eq().if();
      {
        // Full panel. Contiguous lines (ls == element size) copy as whole vectors.
        if (vectorsPerLine > 0) {
          c.get(ls).i32Const(o.es).i32Eq().if();
          whileLoop(
            c,
            (c) => c.get(p).get(kc).i32LtS(),
            () => {
              for (let v = 0; v < vectorsPerLine; v++) c.get(dst).get(s).v128Load(v * 16).v128Store(v * 16);
              addTo(c, dst, dst, panelBytes);
              c.get(s).get(ps).i32Add().set(s);
              addTo(c, p, p, 1);
            },
          );
          c.else();
        }
        whileLoop(
          c,
          (c) => c.get(p).get(kc).i32LtS(),
          () => {
            c.get(s).set(t);
            for (let x = 0; x < panel; x++) {
              c.get(dst).get(t);
              o.load(c, 0);
              o.store(c, x * o.es);
              if (x + 1 < panel) c.get(t).get(ls).i32Add().set(t);
            }
            addTo(c, dst, dst, panelBytes);
            c.get(s).get(ps).i32Add().set(s);
            addTo(c, p, p, 1);
          },
        );
        if (vectorsPerLine > 0) c.end();
      }
      c.else();
      {
        // Partial last panel: copy the valid lines, zero the rest.
        whileLoop(
          c,
          (c) => c.get(p).get(kc).i32LtS(),
          () => {
            c.get(s).set(t).i32Const(0).set(l);
            whileLoop(
              c,
              (c) => c.get(l).i32Const(panel).i32LtS(),
              () => {
                c.get(l).get(lines).i32LtS().if();
                c.get(dst).get(t);
                o.load(c, 0);
                o.store(c, 0);
                c.get(t).get(ls).i32Add().set(t);
                c.else();
                c.get(dst);
                o.zero(c);
                o.store(c, 0);
                c.end();
                addTo(c, dst, dst, o.es);
                addTo(c, l, l, 1);
              },
            );
            c.get(s).get(ps).i32Add().set(s);
            addTo(c, p, p, 1);
          },
        );
      }
      c.end();
      addTo(c, q, q, panel);
    },
  );
  return { f, code: c };
}

