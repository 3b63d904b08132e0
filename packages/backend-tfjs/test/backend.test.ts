import { DTypeError, FeedError, Random, UnfoldError, checkFeeds, hostTensor, input, interpret, logSoftmax, optimize, ops, param, relativeError, softmax, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsBackend } from "../src/index.js";
import { planProgram } from "../src/lower/plan.js";

function mlp() {
  return trace({ x: input([5, 4], "float32"), W: param([4, 3], "float32") }, ({ x, W }) => ({ p: softmax(ops.tanh(ops.matmul(x, W)), -1) }));
}

describe("TfjsBackend", () => {
  const cpu = new TfjsBackend({ engine: "cpu" });
  const wasm = new TfjsBackend({ engine: "wasm" });
  afterAll(async () => {
    await cpu.dispose();
    await wasm.dispose();
  });

  it("runs two engines side by side, interleaved, each on its own engine", async () => {
    const rng = new Random(3);
    const program = mlp();
    const feeds = { x: hostTensor(rng.normals(20), [5, 4], "float32"), W: hostTensor(rng.normals(12), [4, 3], "float32") };
    const want = interpret(program, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)]))).get("p")!;
    const [a, b] = await Promise.all([cpu.compile(program), wasm.compile(program)]);
    const runs = await Promise.all([a.run(feeds), b.run(feeds), a.run(feeds), b.run(feeds)]);
    for (const outs of runs) {
      const p = outs["p"]!;
      expect(relativeError(Array.from((await p.read()).data), Array.from(want))).toBeLessThan(1e-5);
      p.dispose();
    }
    expect(cpu.name).toBe("tfjs-cpu");
    expect(wasm.name).toBe("tfjs-wasm");
  });

  it.each(["cpu", "wasm"] as const)("on %s, read() hands out an array the caller may write into without changing the tensor", async (engine) => {
    const backend = engine === "cpu" ? cpu : wasm;
    const t = await backend.upload(hostTensor(Float32Array.of(1, 2, 3), [3], "float32"));
    const first = await t.read();
    (first.data as Float32Array).fill(-7);
    expect(Array.from((await t.read()).data)).toEqual([1, 2, 3]);
    t.dispose();
  });

  it("refuses a resident tensor of the other engine", async () => {
    const exe = await wasm.compile(mlp());
    const x = await cpu.upload(hostTensor(new Float32Array(20), [5, 4], "float32"));
    await expect(exe.run({ x, W: hostTensor(new Float32Array(12), [4, 3], "float32") })).rejects.toThrow(/lives on backend 'tfjs-cpu'/);
    x.dispose();
  });

  it("rejects float64 with a DTypeError naming the op", async () => {
    const p = trace({ x: input([2], "float32") }, ({ x }) => ({ y: ops.cast(ops.exp(ops.cast(x, "float64")), "float32") }));
    await expect(cpu.compile(p)).rejects.toThrow(DTypeError);
    await expect(cpu.compile(p)).rejects.toThrow(/\(cast\) is float64/);
    await expect(cpu.upload(hostTensor([1], [1], "float64"))).rejects.toThrow(DTypeError);
  });

  it("rejects bad feeds with core's checkFeeds messages", async () => {
    const p = mlp();
    const exe = await cpu.compile(p);
    const bad = { x: hostTensor(new Float32Array(20), [5, 4], "float32"), W: hostTensor([1, Number.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [4, 3], "float32") };
    let expected = "";
    try {
      checkFeeds(p, bad, cpu.name);
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(expected).toMatch(/NaN/);
    await expect(exe.run(bad)).rejects.toThrow(FeedError);
    await expect(exe.run(bad)).rejects.toThrow(expected);
  });

  it("maps composites to native tfjs ops (one step each)", () => {
    const p = trace({ x: input([3, 7], "float32") }, ({ x }) => ({ a: softmax(x, -1), b: logSoftmax(x, -1) }));
    const plan = planProgram(optimize(p));
    expect(plan.steps).toHaveLength(2);
    // Softmax over a leading axis has no native op: it runs node by node, still correctly.
    const q = trace({ x: input([3, 7], "float32") }, ({ x }) => ({ a: softmax(x, 0) }));
    expect(planProgram(optimize(q)).steps.length).toBeGreaterThan(1);
  });

  it("explains the webgpu engine where there is no navigator.gpu, and refuses unknown engines", async () => {
    const gpu = new TfjsBackend({ engine: "webgpu" });
    await expect(gpu.compile(mlp())).rejects.toThrow(UnfoldError);
    await expect(gpu.compile(mlp())).rejects.toThrow(/navigator\.gpu/);
    const bogus = new TfjsBackend({ engine: "metal" as never });
    await expect(bogus.compile(mlp())).rejects.toThrow(/unknown engine 'metal'/);
  });
});
