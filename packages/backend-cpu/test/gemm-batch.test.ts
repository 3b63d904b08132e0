import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type CpuEngine, type GemmDType } from "../src/engine.js";
import { type Case, exactlySymmetric, guardIntact, makeCase, makeSymmetricCase, maxRelativeError } from "./gemm-helpers.js";

// Batched products: evenly spaced items, each laid out by the case helpers at base + t * size.
// An engine whose threshold makes the items item-parallel (each whole on one thread) must give
// what the item-by-item path gives: every item right, nothing written outside its C.

const TOL: Record<GemmDType, number> = { float32: 1e-5, float64: 1e-12 };

function batch(make: (base: number, seed: number) => { c: Case; end: number }, count: number): { cases: Case[]; stride: number; end: number } {
  const first = make(64, 1);
  const stride = first.end - 64;
  const cases = [first.c];
  let end = first.end;
  for (let t = 1; t < count; t++) {
    const next = make(64 + t * stride, t + 1);
    expect(next.end - (64 + t * stride)).toBe(stride);
    cases.push(next.c);
    end = next.end;
  }
  return { cases, stride, end };
}

describe.each([
  // Items of 16x16x8 (2,048 multiply-adds) under a 10,000 threshold: item-parallel.
  { threads: 2, parallelThreshold: 10_000, itemParallel: true },
  // One thread: the same calls run item by item.
  { threads: 1, parallelThreshold: 10_000, itemParallel: false },
])("gemm runBatch threads=$threads", ({ threads, parallelThreshold, itemParallel }) => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
  let gemm: CpuEngine;
  beforeAll(async () => {
    gemm = await createEngine(memory, { threads, parallelThreshold });
  });
  afterAll(async () => {
    await gemm.dispose();
  });

  for (const dtype of ["float32", "float64"] as const) {
    for (const [m, n, k, count] of [[16, 16, 8, 8], [13, 9, 7, 13], [24, 20, 16, 2]] as const) {
      it(`${dtype} ${count} items of ${m}x${n}x${k}`, () => {
        const { cases: uniform, stride: s2, end: e2 } = batch((base, seed) => makeCase(memory, dtype, m, n, k, { transA: true, transB: true, pad: 2 }, seed * 31 + m, base), count);
        const call = uniform[0]!.call;
        // The item-parallel path reserves a private scratch per thread; the item-by-item one does not.
        expect(gemm.batchScratchBytes(call, count) > gemm.scratchBytes(call)).toBe(itemParallel);
        const need = gemm.batchScratchBytes(call, count);
        if (memory.buffer.byteLength < e2 + need) memory.grow(Math.ceil((e2 + need - memory.buffer.byteLength) / 65536));
        gemm.runBatch(call, count, { a: s2, b: s2, c: s2 }, e2);
        uniform.forEach((c, t) => {
          expect(maxRelativeError(memory, c), `item ${t}`).toBeLessThanOrEqual(TOL[dtype]);
          expect(guardIntact(memory, c.call), `item ${t} wrote outside C`).toBe(true);
        });
      });
    }
    for (const [n, k] of [[20, 12], [23, 9], [40, 16]] as const) {
      it(`${dtype} symmetric items (A A^T) ${n}x${n}x${k}: the lower triangle mirrored, exactly symmetric`, () => {
        const count = 6;
        const { cases, stride, end } = batch((base, seed) => makeSymmetricCase(memory, dtype, n, k, { transA: false, pad: 1 }, seed * 7 + n, base), count);
        const call = cases[0]!.call;
        const need = gemm.batchScratchBytes(call, count);
        if (memory.buffer.byteLength < end + need) memory.grow(Math.ceil((end + need - memory.buffer.byteLength) / 65536));
        gemm.runBatch(call, count, { a: stride, b: stride, c: stride }, end);
        cases.forEach((c, t) => {
          expect(maxRelativeError(memory, c), `item ${t}`).toBeLessThanOrEqual(TOL[dtype]);
          expect(guardIntact(memory, c.call), `item ${t} wrote outside C`).toBe(true);
          expect(exactlySymmetric(memory, c.call), `item ${t} not symmetric`).toBe(true);
        });
      });
    }
  }
});
