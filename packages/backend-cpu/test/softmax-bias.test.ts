// A softmax over `L - B` with B a row vector (per batch item, or shared) runs as one kernel that
// subtracts B itself: the Yang logits less their column term -q_j / 2. Checked on every kernel
// path (WebAssembly SIMD float32, JavaScript float32 and float64) against the reference, with
// poisoned buffers, and the fusion itself is checked from the plan's profile.
import { type Program, Random, ReferenceBackend, hostTensor, input, relativeError, runToHost, softmax, trace, type DType } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

const backends = { simd: new CpuBackend(), plain: new CpuBackend({ simd: false }) };
const reference = new ReferenceBackend();
afterAll(async () => {
  await backends.simd.dispose();
  await backends.plain.dispose();
});

/** softmax(Z Z^T - B / 2) for Z = Y W, with B of the given shape; cols not a multiple of 4 too. */
function biasedLogits(batch: number, n: number, k: number, biasShape: number[], dtype: DType): Program {
  return trace({ Y: input([batch, n, k], dtype), W: input([k, k], dtype), q: input(biasShape, dtype) }, ({ Y, W, q }) => {
    const Z = Y.matmul(W);
    return { p: softmax(Z.matmul(Z.T).sub(q.mul(0.5)), -1) };
  });
}

describe("softmax with a row-vector bias", () => {
  const cases: { name: string; batch: number; n: number; bias: (batch: number, n: number) => number[]; fused: boolean }[] = [
    { name: "one bias row per batch item", batch: 3, n: 37, bias: (b, n) => [b, 1, n], fused: true },
    { name: "one bias row shared by all rows", batch: 2, n: 13, bias: (_, n) => [1, 1, n], fused: true },
    { name: "a column bias (not a row vector: stays a loop)", batch: 2, n: 9, bias: (b, n) => [b, n, 1], fused: false },
  ];
  for (const c of cases) {
    for (const dtype of ["float32", "float64"] as const) {
      for (const path of ["simd", "plain"] as const) {
        it(`${c.name}, ${dtype}, ${path}`, async () => {
          const rng = new Random(c.n + c.batch);
          const k = 6;
          const biasShape = c.bias(c.batch, c.n);
          const program = biasedLogits(c.batch, c.n, k, biasShape, dtype);
          const feeds = {
            Y: hostTensor(rng.normals(c.batch * c.n * k), [c.batch, c.n, k], dtype),
            W: hostTensor(rng.normals(k * k, 0.7), [k, k], dtype),
            q: hostTensor(rng.normals(biasShape.reduce((a, b) => a * b, 1), 3), biasShape, dtype),
          };
          const executable = await backends[path].compile(program, { poison: true });
          const got = await runToHost(executable, feeds);
          const want = await runToHost(await reference.compile(program), feeds);
          expect(relativeError(got["p"]!.data, want["p"]!.data)).toBeLessThanOrEqual(dtype === "float64" ? 1e-13 : 1e-6);
          const steps = Object.keys(await executable.profile(feeds));
          // Z Z^T less a row bias in float32 with SIMD: the product and the softmax are one Gram
          // softmax step (gram-softmax.ts); elsewhere the row kernel runs after the product.
          const gram = c.fused && dtype === "float32" && path === "simd";
          expect(steps).toContain(gram ? "gram" : "softmax");
          expect(steps.includes("softmax")).toBe(!gram);
          // Fused: the subtraction is no step of its own.
          expect(steps.includes("sub")).toBe(!c.fused);
        });
      }
    }
  }
});
