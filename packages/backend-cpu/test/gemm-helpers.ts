// Test fixtures for the GEMM engine: operands laid out in a WebAssembly.Memory with chosen
// strides, C poisoned with NaN, and a float64 triple-loop reference to compare against.
import type { GemmCall, GemmDType } from "../src/engine.js";

/** Deterministic uniform values in [-1, 1) (xorshift), so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

export interface Layout {
  /** A stored transposed (k x m, row-major): the call passes rsA = 1, csA = ldA. */
  transA: boolean;
  transB: boolean;
  /** Extra elements at the end of every stored row, so strides differ from the sizes. */
  pad: number;
}

export interface Case {
  call: GemmCall;
  /** Expected C (row-major m x n) and the per-element error scale sum_p |a_ip| |b_pj|. */
  expected: Float64Array;
  scale: Float64Array;
}

const align = (x: number, to = 64): number => Math.ceil(x / to) * to;

/**
 * Writes random A and B at `base` in the memory, poisons C (and a guard row past it) with NaN,
 * and returns the call plus the float64 reference. Returns the end offset too, for scratch.
 */
export function makeCase(memory: WebAssembly.Memory, dtype: GemmDType, m: number, n: number, k: number, layout: Layout, seed: number, base = 64): { c: Case; end: number } {
  const es = dtype === "float32" ? 4 : 8;
  const next = rng(seed);
  const ldA = (layout.transA ? m : k) + layout.pad;
  const ldB = (layout.transB ? k : n) + layout.pad;
  const ldC = n + layout.pad;
  const aBytes = (layout.transA ? k : m) * ldA * es;
  const bBytes = (layout.transB ? n : k) * ldB * es;
  const a = align(base);
  const b = align(a + aBytes);
  const c = align(b + bBytes);
  const end = align(c + (m + 1) * ldC * es);
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const h = dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  h.fill(Number.NaN, a / es, end / es); // padding too: a kernel that reads it poisons its C
  const call: GemmCall = {
    dtype, m, n, k,
    a, rsA: layout.transA ? 1 : ldA, csA: layout.transA ? ldA : 1,
    b, rsB: layout.transB ? 1 : ldB, csB: layout.transB ? ldB : 1,
    c, rsC: ldC,
  };
  const A = (i: number, p: number): number => h[a / es + i * call.rsA + p * call.csA]!;
  const B = (p: number, j: number): number => h[b / es + p * call.rsB + j * call.csB]!;
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) h[a / es + i * call.rsA + p * call.csA] = next();
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) h[b / es + p * call.rsB + j * call.csB] = next();
  const expected = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        s += A(i, p) * B(p, j);
        t += Math.abs(A(i, p) * B(p, j));
      }
      expected[i * n + j] = s;
      scale[i * n + j] = t;
    }
  }
  return { c: { call, expected, scale }, end };
}

/** Largest |C - expected| / (sum |a||b| + tiny) over C, NaN (an unwritten element) included. */
export function maxRelativeError(memory: WebAssembly.Memory, { call, expected, scale }: Case): number {
  const es = call.dtype === "float32" ? 4 : 8;
  const h = call.dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  let worst = 0;
  for (let i = 0; i < call.m; i++) {
    for (let j = 0; j < call.n; j++) {
      const got = h[call.c / es + i * call.rsC + j]!;
      const err = Math.abs(got - expected[i * call.n + j]!) / (scale[i * call.n + j]! + 1e-300);
      if (!(err <= worst)) worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
    }
  }
  return worst;
}

/** Whether the NaN poison around C (its row padding and the guard row below) survived. */
export function guardIntact(memory: WebAssembly.Memory, call: GemmCall): boolean {
  const es = call.dtype === "float32" ? 4 : 8;
  const h = call.dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  for (let i = 0; i <= call.m; i++) {
    for (let j = i < call.m ? call.n : 0; j < call.rsC; j++) if (!Number.isNaN(h[call.c / es + i * call.rsC + j]!)) return false;
  }
  return true;
}

/**
 * A symmetric call C = A A^T: B is A's own transposed view (same offset, swapped strides). C and
 * a guard row are poisoned as in makeCase; the expected C comes from float64 triple loops.
 */
export function makeSymmetricCase(memory: WebAssembly.Memory, dtype: GemmDType, n: number, k: number, layout: Omit<Layout, "transB">, seed: number, base = 64): { c: Case; end: number } {
  const es = dtype === "float32" ? 4 : 8;
  const next = rng(seed);
  const ldA = (layout.transA ? n : k) + layout.pad;
  const ldC = n + layout.pad;
  const a = align(base);
  const c = align(a + (layout.transA ? k : n) * ldA * es);
  const end = align(c + (n + 1) * ldC * es);
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const h = dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  h.fill(Number.NaN, a / es, end / es);
  const rsA = layout.transA ? 1 : ldA;
  const csA = layout.transA ? ldA : 1;
  const call: GemmCall = { dtype, m: n, n, k, a, rsA, csA, b: a, rsB: csA, csB: rsA, c, rsC: ldC, symmetric: true };
  for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) h[a / es + i * rsA + p * csA] = next();
  const A = (i: number, p: number): number => h[a / es + i * rsA + p * csA]!;
  const expected = new Float64Array(n * n);
  const scale = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        s += A(i, p) * A(j, p);
        t += Math.abs(A(i, p) * A(j, p));
      }
      expected[i * n + j] = s;
      scale[i * n + j] = t;
    }
  }
  return { c: { call, expected, scale }, end };
}

/** Whether C came out exactly symmetric (the mirrored triangle is a copy, not a recomputation). */
export function exactlySymmetric(memory: WebAssembly.Memory, call: GemmCall): boolean {
  const es = call.dtype === "float32" ? 4 : 8;
  const h = call.dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  const at = (i: number, j: number): number => h[call.c / es + i * call.rsC + j]!;
  for (let i = 0; i < call.n; i++) for (let j = i + 1; j < call.n; j++) if (!Object.is(at(i, j), at(j, i))) return false;
  return true;
}
