// The wasm engine adds a reduction's terms one after another into one float32 total (its softmax
// and logSumExp too): long sums are split into short ones there (core's splitLongSums), so every
// engine sums long rows as accurately as the cpu engine's float64 accumulation.
import { type HostTensor, Random, hostTensor, input, interpret, logsumexp, ops, relativeError, softmax, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsBackend } from "../src/index.js";

/** float32 values within 1% of `center`: the terms whose serial float32 sum drifts the most. */
function alike(shape: number[], center: number, seed: number): HostTensor {
  const rng = new Random(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return hostTensor(Float32Array.from({ length: size }, () => center * (1 + 0.01 * rng.uniform())), shape, "float32");
}

describe("long float32 sums", () => {
  const engines = { cpu: new TfjsBackend({ engine: "cpu" }), wasm: new TfjsBackend({ engine: "wasm" }) };
  afterAll(async () => {
    for (const backend of Object.values(engines)) await backend.dispose();
  });

  it.each(["cpu", "wasm"] as const)("on %s come within 4e-6 of float64: 2^16 terms, a mean over 2^16 tokens, a softmax and a logsumexp over 2^18", async (engine) => {
    // On the wasm engine, unsplit, these come out 1.2e-5, 7.6e-5, 1.2e-4 and 9.9e-6 off; split,
    // 1.7e-7, 1.1e-7, 1.4e-6 and 2.0e-7 (the cpu engine, adding in float64: 3e-9 to 4e-8).
    const n = 2 ** 16;
    const program = trace({ x: input([2, n], "float32"), t: input([1, n, 2], "float32"), s: input([1, 4 * n], "float32") }, ({ x, t, s }) => ({
      total: ops.sum(x, -1),
      pooled: ops.mean(t, 1),
      p: softmax(s, -1),
      l: logsumexp(ops.mul(s, -1), -1),
    }));
    const feeds = { x: alike([2, n], 0.1, 3), t: alike([1, n, 2], 0.5, 4), s: alike([1, 4 * n], 0.025, 5) };
    const want = interpret(program, new Map(Object.entries(feeds).map(([k, v]) => [k, Float64Array.from(v.data)])));
    const outs = await (await engines[engine].compile(program)).run(feeds);
    for (const name of ["total", "pooled", "p", "l"]) {
      const got = await outs[name]!.read();
      outs[name]!.dispose();
      expect(relativeError(Array.from(got.data), Array.from(want.get(name)!)), `${name} on ${engine}`).toBeLessThan(4e-6);
    }
  });
});
