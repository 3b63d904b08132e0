import { FeedError, UnfoldError, checkFeeds, hostTensor, input, ops, param, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { OnnxBackend } from "../src/index.js";
import { reference, relErr, yangForward } from "./helpers.js";

describe("OnnxBackend", () => {
  const backend = new OnnxBackend();
  afterAll(() => backend.dispose());

  it("runs a float64 unfolding to the reference's precision", async () => {
    const { program, state, params } = yangForward(6, [2, 8, 8], "float64");
    const exe = await backend.compile(program);
    const outs = await exe.run({ state, ...params });
    const got = await outs["state"]!.read();
    expect(got.data).toBeInstanceOf(Float64Array);
    expect(relErr(got.data, reference(program, { state, ...params }).get("state")!)).toBeLessThan(1e-12);
  });

  it("compiles once per program: a second compile hits the cache", async () => {
    const p = trace({ x: input([2, 2], "float32") }, ({ x }) => ({ y: ops.exp(x) }));
    expect(await backend.compile(p)).toBe(await backend.compile(p));
  });

  it("rejects bad feeds with core's checkFeeds messages", async () => {
    const p = trace({ x: input([2, 3], "float32"), w: param([3], "float32") }, ({ x, w }) => ({ y: ops.mul(x, w) }));
    const exe = await backend.compile(p);
    const bad = { x: hostTensor([1, 2, 3, 4, 5, 6], [3, 2], "float32") };
    let expected = "";
    try {
      checkFeeds(p, bad, backend.name);
    } catch (error) {
      expected = (error as Error).message;
    }
    await expect(exe.run(bad)).rejects.toThrow(FeedError);
    await expect(exe.run(bad)).rejects.toThrow(expected);
  });

  it("refuses a second thread count in the same process, and webgpu without navigator.gpu", async () => {
    const p = trace({ x: input([2], "float32") }, ({ x }) => ({ y: ops.neg(x) }));
    const other = new OnnxBackend({ threads: 3 });
    await expect(other.compile(p)).rejects.toThrow(/cannot switch to 3/);
    await other.dispose();
    expect(() => new OnnxBackend({ executionProvider: "webgpu" })).toThrow(UnfoldError);
    expect(() => new OnnxBackend({ executionProvider: "webgpu" })).toThrow(/navigator\.gpu/);
  });

  it("keeps uploads as host-side copies that can be fed back", async () => {
    const p = trace({ x: input([3], "float64") }, ({ x }) => ({ y: ops.mul(x, 2) }));
    const data = Float64Array.of(1, 2, 3);
    const t = await backend.upload(hostTensor(data, [3], "float64"));
    data.fill(0);
    const exe = await backend.compile(p);
    const y = (await exe.run({ x: t }))["y"]!;
    const z = (await exe.run({ x: y }))["y"]!;
    expect(Array.from((await z.read()).data)).toEqual([4, 8, 12]);
    expect(Array.from((await t.read()).data)).toEqual([1, 2, 3]);
  });
});
