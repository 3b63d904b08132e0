// By default the bench turns relaxed SIMD on before any engine compiles (its own test file: the
// V8 flag is per process), and unfold-cpu's description says which GEMM kernels ran.
import { relaxedSimdAvailable } from "@unfold/backend-cpu/node";
import { expect, it } from "vitest";
import { benchCommand } from "../src/index.js";
import { TINY, TINY_MATMUL } from "./helpers.js";
import { captureIO } from "@unfold/testing";

it("turns relaxed SIMD on by default and reports the fused GEMM in unfold-cpu's description", async () => {
  const io = captureIO();
  await benchCommand(["--quick", "--workload", "matmul", "--engine", "unfold-cpu"], io, { sizes: [TINY], matmul: TINY_MATMUL });
  expect(relaxedSimdAvailable()).toBe(true);
  expect(io.lines.join("\n")).toMatch(/unfold-cpu: .*WebAssembly SIMD GEMM with relaxed-SIMD fused multiply-add, \d+ threads?/);
});
