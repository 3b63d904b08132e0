import { crossEntropy, gradients, input, ops, param, trace } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebGpuBackend } from "../src/index.js";
import { sizeClass } from "../src/pool.js";
import { describeGpu } from "./gpu.js";
import { normals } from "./helpers.js";

describe("size classes", () => {
  it("round up to a quarter of a power of two, never below 256 bytes", () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(256)).toBe(256);
    expect(sizeClass(257)).toBe(320);
    expect(sizeClass(1024)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    for (const n of [300, 5000, 123457, 9_999_999]) {
      expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
      expect(sizeClass(n)).toBeLessThanOrEqual(n * 1.25 + 4);
    }
  });

  it("do not round a request that fits the device limit past it", () => {
    expect(sizeClass(1000, 1100)).toBeLessThanOrEqual(1100);
  });
});

describeGpu("buffer pool", () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    backend = await WebGpuBackend.create();
  });
  afterAll(() => backend.dispose());

  it("keeps live bytes flat over 1,000 runs of one program (outputs fed back and disposed)", async () => {
    const [n, d, c] = [16, 8, 4];
    const program = trace({ W: param([d, c], "float32"), X: input([n, d], "float32"), T: input([n, c], "float32") }, ({ W, X, T }) => {
      const loss = crossEntropy(ops.matmul(X, W), T);
      const [g] = gradients(loss, [W]);
      return { next: ops.sub(W, ops.mul(g!, 0.1)), loss };
    });
    const executable = await backend.compile(program);
    const X = await backend.upload(normals([n, d], 1));
    const T = await backend.upload(normals([n, c], 2));
    let W = await backend.upload(normals([d, c], 3, 0.1));
    const sample: number[] = [];
    const created: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const outs = await executable.run({ W, X, T });
      W.dispose();
      outs["loss"]!.dispose();
      W = outs["next"]!;
      if (i % 100 === 99) {
        // Reading waits for the queue, so what is live is what the loop holds, not work in flight.
        await W.read();
        sample.push(backend.stats().pool.liveBytes);
        created.push(backend.stats().pool.createdBuffers);
      }
    }
    expect(new Set(sample).size).toBe(1);
    expect(new Set(created).size).toBe(1);
    const final = await W.read();
    expect(final.data.every(Number.isFinite)).toBe(true);
    for (const t of [W, X, T]) t.dispose();
  });

  it("tracks the peak of bytes on loan, which a reset restarts from what is on loan", async () => {
    const program = trace({ x: input([64, 64], "float32") }, ({ x }) => ({ y: ops.matmul(ops.matmul(x, x), x) }));
    const executable = await backend.compile(program);
    const x = await backend.upload(normals([64, 64], 4));
    backend.resetPeakMemory();
    const start = backend.stats().pool;
    expect(start.peakLiveBytes).toBe(start.liveBytes);
    const y = (await executable.run({ x }))["y"]!;
    await y.read();
    const during = backend.stats().pool;
    // The output's 16 KiB at least came on loan; the peak counts it and anything released since.
    expect(during.peakLiveBytes).toBeGreaterThanOrEqual(start.liveBytes + 64 * 64 * 4);
    expect(during.peakLiveBytes).toBeGreaterThanOrEqual(during.liveBytes);
    y.dispose();
    x.dispose();
    const after = backend.stats().pool;
    expect(after.liveBytes).toBeLessThan(during.liveBytes);
    expect(after.peakLiveBytes).toBe(during.peakLiveBytes);
    backend.resetPeakMemory();
    expect(backend.stats().pool.peakLiveBytes).toBe(after.liveBytes);
  });

  it("shares one buffer between intermediates whose lifetimes do not overlap", async () => {
    // A chain of matmuls (not fused into one another): each intermediate dies after the next one is made.
    const program = trace({ x: input([64, 64], "float32") }, ({ x }) => {
      let y = x;
      for (let i = 0; i < 8; i++) y = ops.matmul(y, x);
      return { y };
    });
    const before = backend.stats().pool;
    const executable = await backend.compile(program);
    const after = backend.stats().pool;
    expect(executable.dispatches).toBe(8);
    // Seven intermediates of 16 KiB each: two buffers suffice (plus the input's staging, made on first run).
    expect(after.liveBuffers - before.liveBuffers).toBeLessThanOrEqual(2);
  });
});
