import { hostTensor, input, interpret, ops, param, relativeError, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { type Arena, CpuBackend, type GemmCall, type MatmulEngine } from "../src/index.js";
import { createEngine } from "../src/engine.js";

/** A plain matrix engine that counts holds and releases, and can be told to fail. */
function countingEngine(arena: Arena, minThreadedWork: number) {
  const log: string[] = [];
  let fail = false;
  const engine: MatmulEngine = {
    minThreadedWork,
    scratchBytes: () => 0,
    run: (call: GemmCall) => {
      if (fail) throw new Error("engine failure");
      log.push("run");
      const h = call.dtype === "float32" ? new Float32Array(arena.memory.buffer) : new Float64Array(arena.memory.buffer);
      const es = call.dtype === "float32" ? 4 : 8;
      const [a, b, c] = [call.a / es, call.b / es, call.c / es];
      for (let i = 0; i < call.m; i++) {
        for (let j = 0; j < call.n; j++) {
          let s = 0;
          for (let k = 0; k < call.k; k++) s += h[a + i * call.rsA + k * call.csA]! * h[b + k * call.rsB + j * call.csB]!;
          h[c + i * call.rsC + j] = s;
        }
      }
    },
    hold: () => void log.push("hold"),
    release: () => void log.push("release"),
  };
  return { engine, log, failNext: () => void (fail = true) };
}

const program = trace({ x: input([4, 6], "float64"), W: param([6, 5], "float64") }, ({ x, W }) => ({ y: ops.tanh(ops.matmul(x, W)) }));
const feeds = { x: hostTensor(Float64Array.from({ length: 24 }, (_, i) => Math.sin(i)), [4, 6], "float64"), W: hostTensor(Float64Array.from({ length: 30 }, (_, i) => Math.cos(i)), [6, 5], "float64") };

describe("a run keeps the matrix engine's workers awake", () => {
  it("holds them from the first step to the last, once per run, when a product is large enough to thread", async () => {
    let counting: ReturnType<typeof countingEngine> | undefined;
    const backend = new CpuBackend({ matmul: (arena) => (counting = countingEngine(arena, 4 * 6 * 5)).engine });
    const exe = await backend.compile(program);
    for (let r = 0; r < 2; r++) for (const t of Object.values(await exe.run(feeds))) t.dispose();
    expect(counting!.log).toEqual(["hold", "run", "release", "hold", "run", "release"]);
    await backend.dispose();
  });

  it("leaves them asleep when every product is below the threaded size", async () => {
    let counting: ReturnType<typeof countingEngine> | undefined;
    const backend = new CpuBackend({ matmul: (arena) => (counting = countingEngine(arena, 4 * 6 * 5 + 1)).engine });
    const exe = await backend.compile(program);
    const y = (await exe.run(feeds))["y"]!;
    const want = interpret(program, new Map([["x", Float64Array.from(feeds.x.data)], ["W", Float64Array.from(feeds.W.data)]])).get("y")!;
    expect(relativeError(Array.from((await y.read()).data), Array.from(want))).toBeLessThan(1e-14);
    y.dispose();
    expect(counting!.log).toEqual(["run"]);
    await backend.dispose();
  });

  it("lets go when a step fails", async () => {
    let counting: ReturnType<typeof countingEngine> | undefined;
    const backend = new CpuBackend({ matmul: (arena) => (counting = countingEngine(arena, 1)).engine });
    const exe = await backend.compile(program);
    counting!.failNext();
    await expect(exe.run(feeds)).rejects.toThrow("engine failure");
    expect(counting!.log).toEqual(["hold", "release"]);
    await backend.dispose();
  });
});

describe("Gemm.hold", () => {
  it("leaves every product correct while held (twice, then once), and is harmless after dispose", async () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 256, shared: true });
    const gemm = await createEngine(memory, { threads: 2, parallelThreshold: 0 });
    const n = 64;
    const f32 = new Float32Array(memory.buffer);
    for (let i = 0; i < 2 * n * n; i++) f32[i] = Math.sin(i);
    const call: GemmCall = { dtype: "float32", m: n, n, k: n, a: 0, rsA: n, csA: 1, b: n * n * 4, rsB: n, csB: 1, c: 2 * n * n * 4, rsC: n };
    const scratch = 3 * n * n * 4;
    const expected = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) expected[i * n + j]! += f32[i * n + k]! * f32[n * n + k * n + j]!;
    gemm.hold();
    gemm.hold();
    gemm.release();
    // Still held once: the workers spin between these calls.
    for (let r = 0; r < 3; r++) {
      f32.fill(NaN, 2 * n * n, 3 * n * n);
      gemm.run(call, scratch);
      expect(relativeError(Array.from(f32.subarray(2 * n * n, 3 * n * n)), Array.from(expected))).toBeLessThan(1e-6);
    }
    gemm.release();
    gemm.release();
    await gemm.dispose();
    expect(() => gemm.hold()).not.toThrow();
  });
});
