// Its own file, so its own process: onnxruntime-web's thread count is fixed once per process.
import { input, ops, trace } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import { OnnxBackend } from "../src/index.js";

describe("the onnxruntime-web thread count, when another user of ORT in the process set it first", () => {
  const backends: OnnxBackend[] = [];
  afterAll(async () => {
    for (const b of backends) await b.dispose();
  });
  const p = trace({ x: input([2], "float32") }, ({ x }) => ({ y: ops.neg(x) }));

  it("is adopted by a backend that names none, and refused to a backend that names another", async () => {
    ort.env.wasm.numThreads = 2;
    const plain = new OnnxBackend();
    const same = new OnnxBackend({ threads: 2 });
    const other = new OnnxBackend({ threads: 1 });
    backends.push(plain, same, other);
    await plain.compile(p);
    // Not overwritten with the default of 1: the application's 2 still holds.
    expect(ort.env.wasm.numThreads).toBe(2);
    await expect(same.compile(p)).resolves.toBeDefined();
    expect(await plain.engineInfo()).toEqual({ version: ort.env.versions.web, executionProvider: "wasm", threads: 2 });
    await expect(other.compile(p)).rejects.toThrow(/already runs with 2 thread\(s\) in this process; it cannot switch to 1/);
  });
});
