import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { saveOnnx, unfoldVersion } from "../src/node.js";
import { onnx, reference, relErr, yangForward } from "./helpers.js";

describe("saveOnnx", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("writes a model atomically that a fresh session loads and runs like the reference", async () => {
    const dir = await mkdtemp(join(tmpdir(), "unfold-onnx-"));
    dirs.push(dir);
    const { program, state, params, terms } = yangForward(4, [2, 6, 8], "float64");
    const path = join(dir, "yang.onnx");
    await saveOnnx(path, program, { params, metadata: { energyTerms: terms, steps: 4, unfoldVersion: "test" } });
    expect(await readdir(dir)).toEqual(["yang.onnx"]);
    const bytes = new Uint8Array(await readFile(path));
    expect(onnx.ModelProto.decode(bytes).metadataProps!.find((p) => p.key === "unfold.steps")!.value).toBe("4");
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "basic" });
    const out = await session.run({ state: new ort.Tensor("float64", state.data as Float64Array, [...state.shape]) });
    const want = reference(program, { state, ...params }).get("state")!;
    expect(relErr(out["state.out"]!.data as Float64Array, want)).toBeLessThan(1e-12);
    await session.release();
    const version = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).metadataProps!.find((p) => p.key === "unfold.version")?.value;
    expect(version(bytes)).toBe("test");
    // A second save replaces the file in place, and names the Unfold version that wrote it.
    await saveOnnx(path, program);
    expect(await readdir(dir)).toEqual(["yang.onnx"]);
    expect(unfoldVersion()).toBe((createRequire(import.meta.url)("@unfold/core/package.json") as { version: string }).version);
    expect(version(new Uint8Array(await readFile(path)))).toBe(unfoldVersion());
  });

  it("leaves no temporary file behind when the export fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "unfold-onnx-"));
    dirs.push(dir);
    const { program } = yangForward(1, [1, 4, 8], "float32");
    await expect(saveOnnx(join(dir, "bad.onnx"), program, { opset: 3 })).rejects.toThrow(/opset 3/);
    expect(await readdir(dir)).toEqual([]);
  });
});
