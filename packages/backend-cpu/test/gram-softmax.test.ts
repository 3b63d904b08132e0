import { describe, expect, it } from "vitest";
import { buildKernelModule } from "../src/kernel-module.js";
import { DEFAULT_SHAPES } from "../src/wasm/gemm-driver.js";
import { exportNames, SOFTMAX_EXPORTS } from "../src/wasm/shared-module.js";
import { detectSimd } from "../src/wasm/simd-support.js";
import { gramTotalsBytes } from "../src/kernels/gram-softmax/gram-softmax-wasm.js";
import { createEngine } from "../src/engine.js";

const simd = detectSimd().simd;

/** A deterministic generator of uniforms in [-1, 1). */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

type BiasKind = "yang" | "random" | "overflow" | "underflow" | "nan";

/** n x k float32 tokens (rounded), and a bias row: the Yang one G_jj / 2 rounded as float32, or another. */
function makeItem(n: number, k: number, kind: BiasKind, seed: number): { z: Float32Array; bias: Float32Array } {
  const next = uniforms(seed);
  const z = new Float32Array(n * k);
  for (let e = 0; e < z.length; e++) z[e] = next() * 1.5;
  const bias = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let q = 0;
    for (let c = 0; c < k; c++) q += z[j * k + c]! * z[j * k + c]!;
    bias[j] = kind === "yang" ? q / 2 : kind === "random" ? next() * 2 : kind === "overflow" ? -60 : kind === "underflow" ? 60 + next() : q / 2;
  }
  if (kind === "nan") z[Math.floor(n / 2) * k] = NaN;
  return { z, bias };
}

/** softmax_j(G_ij - b_j) in float64 from the float32 inputs. */
function reference(z: Float32Array, bias: Float32Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const x = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let g = 0;
      for (let c = 0; c < k; c++) g += z[i * k + c]! * z[j * k + c]!;
      x[j] = g - bias[j]!;
    }
    const max = Math.max(...x);
    let total = 0;
    for (let j = 0; j < n; j++) total += (x[j] = Math.exp(x[j]! - max));
    for (let j = 0; j < n; j++) out[i * n + j] = x[j]! / total;
  }
  return out;
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let e = 0; e < want.length; e++) {
    num += (got[e]! - want[e]!) ** 2;
    den += want[e]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe.runIf(simd)("Gram softmax kernels", () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const e = new WebAssembly.Instance(new WebAssembly.Module(buildKernelModule({ shared: false, relaxed: false, shapes: DEFAULT_SHAPES })), { env: { memory } }).exports;
  const gramExp = e[SOFTMAX_EXPORTS.gramExp32] as (g: number, bias: number, out: number, n: number, tot: number) => number;
  const gramScale = e[SOFTMAX_EXPORTS.gramScale32] as (out: number, n: number, tot: number) => void;
  const mirror = e[exportNames("float32").mirror] as (c: number, ldc: number, n: number, i0: number, i1: number) => void;
  const f32 = new Float32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);

  /** Places G (lower triangle only, NaN above), the bias and a NaN-poisoned out; returns their offsets. */
  function place(n: number, k: number, z: Float32Array, bias: Float32Array): { g: number; b: number; out: number; tot: number } {
    const g = 1024;
    const b = g + 4 * n * n + 64;
    const out = b + 4 * n + 64 + 4 * 16; // 16 guard floats before out
    const tot = Math.ceil((out + 4 * n * n + 4 * 16) / 16) * 16;
    f32.fill(NaN, g / 4, g / 4 + n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let c = 0; c < k; c++) s = Math.fround(s + Math.fround(z[i * k + c]! * z[j * k + c]!));
        f32[g / 4 + i * n + j] = s;
      }
    }
    f32.set(bias, b / 4);
    f32.fill(-7, out / 4 - 16, out / 4 + n * n + 16);
    f32.fill(NaN, out / 4, out / 4 + n * n);
    return { g, b, out, tot };
  }

  it("writes exp(G_ij - b_j - b_i) on and below the diagonal only, and every row's whole total", () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 31, 64, 100, 128]) {
      const k = 7;
      const { z, bias } = makeItem(n, k, "yang", n);
      const { g, b, out, tot } = place(n, k, z, bias);
      expect(gramExp(g, b, out, n, tot), `n ${n}`).toBe(1);
      const weight = (i: number, j: number): number => {
        const [r, c] = i >= j ? [i, j] : [j, i];
        const x = Math.fround(f32[g / 4 + r * n + c]! - bias[c]!);
        return Math.exp(x - bias[r]!);
      };
      for (let i = 0; i < n; i++) {
        let total = 0;
        for (let j = 0; j < n; j++) total += weight(i, j);
        expect(Math.abs(f64[tot / 8 + i]! - total) / total, `n ${n} total ${i}`).toBeLessThan(4e-7);
        for (let j = 0; j < n; j++) {
          const got = f32[out / 4 + i * n + j]!;
          if (j > i) {
            if (!Number.isNaN(got)) expect.fail(`n ${n}: out[${i}][${j}] above the diagonal was written`);
          } else if (!(Math.abs(got - weight(i, j)) <= 3e-7 * weight(i, j))) expect.fail(`n ${n}: K[${i}][${j}] = ${got}, expected ${weight(i, j)}`);
        }
      }
      for (let s = 1; s <= 16; s++) {
        expect(f32[out / 4 - s]).toBe(-7);
        expect(f32[out / 4 + n * n + s - 1]).toBe(-7);
      }
      mirror(out, 4 * n, n, 0, n);
      gramScale(out, n, tot);
      const got = f32.slice(out / 4, out / 4 + n * n);
      expect(relErr(got, reference(z, bias, n, k)), `n ${n}`).toBeLessThan(1e-6);
      for (let i = 0; i < n; i++) {
        let row = 0;
        for (let j = 0; j < n; j++) row += got[i * n + j]!;
        expect(Math.abs(row - 1), `n ${n} row ${i} sums to 1`).toBeLessThan(1e-5);
      }
    }
  });

  it("reports a bias that is no usable row shift: totals overflowing, vanishing, or NaN", () => {
    for (const kind of ["overflow", "underflow", "nan"] as const) {
      const n = 21;
      const k = 5;
      const { z, bias } = makeItem(n, k, kind, 3);
      const { g, b, out, tot } = place(n, k, z, bias);
      expect(gramExp(g, b, out, n, tot), kind).toBe(0);
    }
    // A bias that is not the Yang one but keeps every total in range is used as it is.
    const { z, bias } = makeItem(9, 4, "random", 5);
    const { g, b, out, tot } = place(9, 4, z, bias);
    expect(gramExp(g, b, out, 9, tot)).toBe(1);
  });

  it("keeps its float64 totals within gramTotalsBytes (n rounded up to whole vectors)", () => {
    const n = 5;
    const { z, bias } = makeItem(n, 3, "yang", 8);
    const { g, b, out, tot } = place(n, 3, z, bias);
    const size = gramTotalsBytes(n) / 8;
    f64.fill(-9, tot / 8 + size, tot / 8 + size + 4);
    gramExp(g, b, out, n, tot);
    for (let s = 0; s < 4; s++) expect(f64[tot / 8 + size + s]).toBe(-9);
  });
});

describe.runIf(simd)("gemm.gramSoftmax", () => {
  const cases: { n: number; k: number; items: number; bias: BiasKind; shared?: boolean; dv?: number; diagonal?: boolean }[] = [
    { n: 128, k: 64, items: 8, bias: "yang" },
    { n: 13, k: 5, items: 6, bias: "yang" },
    { n: 1, k: 3, items: 6, bias: "yang" },
    { n: 37, k: 16, items: 12, bias: "random" },
    { n: 37, k: 16, items: 6, bias: "random", shared: true },
    { n: 20, k: 8, items: 6, bias: "overflow" },
    { n: 20, k: 8, items: 6, bias: "underflow" },
    // With the value product P_t V_t, the fallback too.
    { n: 128, k: 64, items: 6, bias: "yang", dv: 64 },
    { n: 13, k: 5, items: 6, bias: "yang", dv: 3 },
    { n: 20, k: 8, items: 6, bias: "overflow", dv: 9 },
    // The Yang bias read off the Gram diagonal (the bias operand is then not read at all).
    { n: 128, k: 64, items: 6, bias: "yang", dv: 64, diagonal: true },
    { n: 7, k: 3, items: 6, bias: "yang", diagonal: true },
  ];
  for (const threads of [1, 3]) {
    it(`matches float64 softmax(A A^T - 1 b^T) item by item on ${threads} thread(s), the fallback included`, async () => {
      const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true });
      const gemm = await createEngine(memory, { threads, parallelThreshold: 0 });
      try {
        for (const { n, k, items, bias: kind, shared, dv, diagonal } of cases) {
          expect(gemm.gramSoftmaxSupported(n, k, items)).toBe(true);
          const f32 = new Float32Array(memory.buffer);
          const cols = dv ?? n;
          const a = 0;
          const biasAt = a + 4 * n * k * items;
          const valueAt = biasAt + 4 * n * items + 64;
          const out = valueAt + 4 * n * (dv ?? 0) * items + 64;
          const scratch = out + 4 * n * cols * items + 64;
          const want: Float64Array[] = [];
          const next = uniforms(n + items);
          for (let t = 0; t < items; t++) {
            const { z, bias } = makeItem(n, k, kind, 100 * t + n);
            f32.set(z, a / 4 + t * n * k);
            if (!shared || t === 0) f32.set(bias, biasAt / 4 + t * n);
            const p = reference(z, shared ? f32.slice(biasAt / 4, biasAt / 4 + n) : bias, n, k);
            if (dv === undefined) {
              want.push(p);
              continue;
            }
            // P_t V_t in float64 from the float32 values.
            const v = new Float32Array(n * dv).map(() => next());
            f32.set(v, valueAt / 4 + t * n * dv);
            const pv = new Float64Array(n * dv);
            for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let c = 0; c < dv; c++) pv[i * dv + c]! += p[i * n + j]! * v[j * dv + c]!;
            want.push(pv);
          }
          f32.fill(NaN, out / 4, out / 4 + n * cols * items);
          if (diagonal) f32.fill(NaN, biasAt / 4, biasAt / 4 + n * items);
          const value = dv === undefined ? {} : { value: { b: valueAt, rsB: dv, csB: 1, stride: 4 * n * dv, dv } };
          gemm.gramSoftmax({ n, k, items, a, rsA: k, csA: 1, strideA: 4 * n * k, bias: biasAt, strideBias: shared ? 0 : 4 * n, out, ...value, biasFromDiagonal: diagonal ?? false }, scratch);
          for (let t = 0; t < items; t++) {
            const got = f32.slice(out / 4 + t * n * cols, out / 4 + (t + 1) * n * cols);
            expect(relErr(got, want[t]!), `${n}x${k} ${kind} dv ${dv} item ${t}`).toBeLessThan(2e-6);
          }
        }
        expect(() => gemm.gramSoftmax({ n: 4, k: 4, items: 6, a: 2, rsA: 4, csA: 1, strideA: 64, bias: 0, strideBias: 0, out: 0 }, 4096)).toThrow(/multiple/);
        expect(() => gemm.gramSoftmax({ n: 4, k: 4, items: 6, a: 0, rsA: 4, csA: 1, strideA: 64, bias: 0, strideBias: 0, out: memory.buffer.byteLength - 64 }, 4096)).toThrow(/out/);
      } finally {
        await gemm.dispose();
      }
    });
  }

  it("declines what it would serve worse than the unfused steps: too few items to share, or no K", async () => {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 1024, shared: true });
    const gemm = await createEngine(memory, { threads: 2 });
    try {
      // One 512-token item: its product and softmax split among the threads unfused.
      expect(gemm.gramSoftmaxSupported(512, 256, 1)).toBe(false);
      // Three items on two threads: one thread would run two of them.
      expect(gemm.gramSoftmaxSupported(128, 64, 3)).toBe(false);
      expect(gemm.gramSoftmaxSupported(128, 64, 8)).toBe(true);
      // One small item: nothing threads either way.
      expect(gemm.gramSoftmaxSupported(128, 64, 1)).toBe(true);
      expect(gemm.gramSoftmaxSupported(16, 0, 4)).toBe(false);
    } finally {
      await gemm.dispose();
    }
  });
});

it("the Gram softmax is tested wherever WebAssembly SIMD exists", () => {
  expect(simd).toBe(true);
});
