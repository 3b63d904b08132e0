// --no-relaxed-simd leaves V8's relaxed-SIMD flag alone (its own test file: the flag is per process).
import { relaxedSimdAvailable } from "@unfold/backend-cpu/node";
import { expect, it } from "vitest";
import { benchCommand } from "../src/index.js";
import { TINY, TINY_MATMUL } from "./helpers.js";
import { captureIO } from "@unfold/testing";

it("--no-relaxed-simd keeps the GEMM on multiply + add where the engine keeps relaxed SIMD behind a flag", async () => {
  const before = relaxedSimdAvailable();
  const io = captureIO();
  await benchCommand(["--quick", "--workload", "matmul", "--engine", "unfold-cpu", "--no-relaxed-simd"], io, { sizes: [TINY], matmul: TINY_MATMUL });
  expect(relaxedSimdAvailable()).toBe(before);
  // Node 20 keeps it off by default; newer engines ship it on, and then it stays on.
  expect(io.lines.join("\n")).toContain(before ? "with relaxed-SIMD fused multiply-add" : "(multiply + add; relaxed SIMD off)");
});
