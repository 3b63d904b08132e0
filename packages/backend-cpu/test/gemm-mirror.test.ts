import { describe, expect, it } from "vitest";
import { buildKernelModule } from "../src/kernel-module.js";
import { DEFAULT_SHAPES } from "../src/wasm/gemm-driver.js";
import { exportNames } from "../src/wasm/shared-module.js";
import { detectSimd } from "../src/wasm/simd-support.js";

type Mirror = (c: number, ldc: number, n: number, i0: number, i1: number) => void;

const simd = detectSimd().simd;
const memory = new WebAssembly.Memory({ initial: 16 });
const exports = simd ? new WebAssembly.Instance(new WebAssembly.Module(buildKernelModule({ shared: false, relaxed: false, shapes: DEFAULT_SHAPES })), { env: { memory } }).exports : {};

/**
 * Fills an n x n matrix (row stride ld, ld - n padding columns) and a guard row after it with
 * distinct values, runs the mirror on rows [i0, i1) and checks every element: the rows asked
 * for have their upper part equal to the transposed lower part, and nothing else moved.
 */
function check(dtype: "float32" | "float64", n: number, pad: number, i0: number, i1: number): void {
  const es = dtype === "float32" ? 4 : 8;
  const mirror = exports[exportNames(dtype).mirror] as Mirror;
  const ld = n + pad;
  const c = 64;
  const h = dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  const at = (i: number, j: number): number => c / es + i * ld + j;
  const before = new Float64Array((n + 1) * ld);
  for (let e = 0; e < before.length; e++) before[e] = h[c / es + e] = e + 0.5;
  mirror(c, ld * es, n, i0, i1);
  const label = `${dtype} n ${n} ld ${ld} rows [${i0}, ${i1})`;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j < ld; j++) {
      const mirrored = i >= i0 && i < Math.min(i1, n) && j > i && j < n;
      const want = mirrored ? before[j * ld + i]! : before[i * ld + j]!;
      if (h[at(i, j)] !== want) expect.fail(`${label}: C[${i}][${j}] = ${h[at(i, j)]}, expected ${want}`);
    }
  }
}

describe.runIf(simd)("gemm mirror kernel", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`${dtype}: every size up to 13, with and without padding, all rows`, () => {
      for (let n = 1; n <= 13; n++) for (const pad of [0, 3]) check(dtype, n, pad, 0, n);
    });
    it(`${dtype}: row bands (whole lane blocks, an end past n, a partial last band)`, () => {
      check(dtype, 128, 0, 32, 64);
      check(dtype, 130, 5, 96, 160);
      check(dtype, 37, 1, 4, 12);
      check(dtype, 37, 1, 36, 37);
    });
  }
});

it("the mirror kernel is tested wherever WebAssembly SIMD exists", () => {
  // Node 20 has SIMD; a runner without it would silently skip the suite above.
  expect(simd).toBe(true);
});
