// The relaxed-SIMD kernels (f32x4/f64x2.relaxed_madd) are off by default in Node 20's V8, so
// they would go untested. V8 reads its wasm feature flags when it compiles, so this file (its own
// forked process) switches the feature on with enableRelaxedSimd and checks createEngine's relaxed
// kernels against the float64 reference.
import { describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";
import { createEngine } from "../src/engine.js";
import { detectSimd } from "../src/wasm/simd-support.js";
import { enableRelaxedSimd, relaxedSimdAvailable } from "../src/node.js";
import { makeCase, maxRelativeError } from "./gemm-helpers.js";

const enabled = enableRelaxedSimd();
const { simd, relaxed } = detectSimd();

it("enableRelaxedSimd turns relaxed SIMD on wherever the engine has SIMD (V8 >= 11.3), and says so", () => {
  expect(enabled).toBe(relaxed);
  expect(relaxedSimdAvailable()).toBe(relaxed);
  // Node >= 20's V8 implements relaxed SIMD (flagged in 11.3, shipped in 11.4): expect it here.
  if (simd) expect(relaxed).toBe(true);
});

it("a CpuBackend created afterwards uses the fused kernels", async () => {
  const backend = new CpuBackend();
  try {
    expect((await backend.engineInfo()).relaxed).toBe(simd && relaxed);
  } finally {
    await backend.dispose();
  }
});

describe.runIf(simd && relaxed)("gemm with relaxed SIMD (fused or unfused multiply-add)", () => {
  it.each([1, 2])("matches the reference with %i thread(s)", async (threads) => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
    const gemm = await createEngine(memory, { threads, parallelThreshold: 0 });
    try {
      for (const dtype of ["float32", "float64"] as const) {
        for (const [m, n, k] of [[3, 5, 7], [17, 33, 65], [64, 70, 300]] as const) {
          const { c, end } = makeCase(memory, dtype, m, n, k, { transA: true, transB: false, pad: 1 }, m + n + k);
          const need = end + gemm.scratchBytes(c.call);
          if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
          gemm.run(c.call, end);
          expect(maxRelativeError(memory, c), `${dtype} ${m}x${n}x${k}`).toBeLessThanOrEqual(dtype === "float32" ? 1e-5 : 1e-12);
        }
      }
    } finally {
      await gemm.dispose();
    }
  });
});
