import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectOnnx } from "@unfold/backend-onnx";
import { verifyChecksum } from "@unfold/files";
import { type DType, type HostTensor, Random, interpret, relativeError } from "@unfold/core";
import { MNIST_SIDE, loadMnist, patchTokens } from "@unfold/datasets";
import * as ort from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_EXPORT, unfoldCommand, unfoldVersion, unfoldedModel } from "../src/index.js";
import { captureIO } from "@unfold/testing";

const dir = mkdtempSync(join(tmpdir(), "unfold-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `pnpm unfold export` with `args`, writing into `file` of the temp dir. */
async function exportTo(file: string, ...args: string[]): Promise<{ path: string; lines: string[] }> {
  const io = captureIO();
  const path = join(dir, file);
  await unfoldCommand(["export", "--out", path, ...args], io);
  return { path, lines: io.lines };
}

/**
 * A fresh InferenceSession on the written file, run on `digits` MNIST digits as tokens (not the
 * export's example batch of 8), against core's interpret on the program traced at that batch.
 */
async function runAgainstReference(path: string, digits: number, dtype: DType): Promise<number> {
  const { images } = loadMnist({ count: digits, start: 100 });
  const { tokens, n, d } = patchTokens(images, digits, MNIST_SIDE, 4);
  const { program, params } = unfoldedModel({ ...DEFAULT_EXPORT, batch: digits, tokens: n, dim: d, dtype });
  const state: HostTensor = { data: dtype === "float32" ? Float32Array.from(tokens) : Float64Array.from(tokens), shape: [digits, n, d], dtype };
  const feeds = new Map(Object.entries({ state, ...params }).map(([k, t]) => [k, Float64Array.from(t.data)]));
  const want = interpret(program, feeds).get("state")!;
  // Float64 gets onnxruntime's exact rewrites only: its extended fusions carry float32 constants.
  const session = await ort.InferenceSession.create(readFileSync(path), { graphOptimizationLevel: dtype === "float64" ? "basic" : "all" });
  try {
    const out = await session.run({ state: new ort.Tensor(dtype, state.data as Float32Array & Float64Array, [...state.shape]) });
    const got = out["state.out"]!;
    expect(got.dims).toEqual([digits, n, d]);
    return relativeError(Array.from(got.data as Float32Array | Float64Array), Array.from(want));
  } finally {
    await session.release();
  }
}

describe("pnpm unfold export", () => {
  it("writes the main job's 12 tied layers as a standalone model that runs at another batch size, float32 within 1e-4", async () => {
    const { path, lines } = await exportTo("model.onnx");
    expect(lines[0]).toBe(`wrote ${path}`);
    const summary = inspectOnnx(readFileSync(path));
    expect(lines[1]).toBe(
      `12 tied Yang layers, float32, opset 18: ${summary.nodes} nodes, inputs state [batch, 49, 16], outputs state.out [batch, 49, 16], ${summary.bytes.toLocaleString("en-US")} bytes`,
    );
    expect(summary.inputs).toEqual([{ name: "state", dtype: "float32", shape: ["batch", 49, 16] }]);
    // The checksum beside it, in sha256sum's format, is what pnpm train predict checks the model against.
    expect(lines[2]).toBe(`checksum ${path}.sha256`);
    expect(readFileSync(`${path}.sha256`, "utf8")).toBe(`${createHash("sha256").update(readFileSync(path)).digest("hex")}  model.onnx\n`);
    expect(verifyChecksum(path, readFileSync(path))).toEqual({ status: "match" });
    expect(summary.metadata).toEqual({ "unfold.energy_terms": "attention,feedForward", "unfold.steps": "12", "unfold.version": unfoldVersion() });
    // Parameters are initializers, not inputs: the file needs nothing but the tokens.
    expect(summary.initializers).toBeGreaterThanOrEqual(3);
    expect(await runAgainstReference(path, 3, "float32")).toBeLessThan(1e-4);
  });

  it("exports float64 to the reference's precision (1e-12), with the flags it is given", async () => {
    const { path, lines } = await exportTo("model64.onnx", "--dtype", "float64", "--opset", "20", "--layers", "12");
    expect(lines[1]).toMatch(/^12 tied Yang layers, float64, opset 20: \d+ nodes/);
    expect(inspectOnnx(readFileSync(path)).opset).toBe(20);
    expect(await runAgainstReference(path, 5, "float64")).toBeLessThan(1e-12);
  });

  it("keeps the batch axis fixed with --fixed-batch, at the --batch, --tokens and --dim given", async () => {
    const { path, lines } = await exportTo("fixed.onnx", "--fixed-batch", "--batch", "2", "--tokens", "5", "--dim", "8", "--layers", "3", "--seed", "4");
    const summary = inspectOnnx(readFileSync(path));
    expect(summary.inputs[0]!.shape).toEqual([2, 5, 8]);
    expect(summary.outputs[0]!.shape).toEqual([2, 5, 8]);
    expect(summary.metadata["unfold.steps"]).toBe("3");
    expect(lines[1]).toContain("inputs state [2, 5, 8]");
    // The model runs as exported, and is the program core interprets.
    const rng = new Random(5);
    const data = Float32Array.from({ length: 80 }, () => Math.abs(rng.normal()));
    const { program, params } = unfoldedModel({ layers: 3, dim: 8, tokens: 5, batch: 2, seed: 4, dtype: "float32" });
    const want = interpret(program, new Map(Object.entries({ state: { data }, ...params }).map(([k, t]) => [k, Float64Array.from(t.data)]))).get("state")!;
    const session = await ort.InferenceSession.create(readFileSync(path));
    const out = await session.run({ state: new ort.Tensor("float32", data, [2, 5, 8]) });
    expect(relativeError(Array.from(out["state.out"]!.data as Float32Array), Array.from(want))).toBeLessThan(1e-5);
    await session.release();
  });

  it("rejects bad flags, naming the flag", async () => {
    const run = (...args: string[]) => unfoldCommand(["export", ...args], captureIO());
    await expect(run("--layers", "0")).rejects.toThrow("--layers must be an integer >= 1, got '0'");
    await expect(run("--dim", "x")).rejects.toThrow(/^--dim must be an integer >= 1/);
    await expect(run("--dtype", "float16")).rejects.toThrow("--dtype must be float32 or float64, got 'float16'");
    await expect(run("--opset", "13")).rejects.toThrow("--opset must be an integer from 17 to 21, got '13'");
    await expect(run("--out", "")).rejects.toThrow("--out needs a file path");
    await expect(run("--bogus")).rejects.toThrow(/bogus/);
    await expect(run("extra")).rejects.toThrow(/extra/);
  });

  it("says which --out it cannot write, and leaves no temporary file behind", async () => {
    const blocker = join(dir, "not-a-folder");
    writeFileSync(blocker, "a file where a folder would have to be");
    const before = readdirSync(dir).sort();
    await expect(exportTo("not-a-folder/model.onnx")).rejects.toThrow(/^--out: cannot use '.*not-a-folder' as a directory: .* exists and is not a directory/);
    await expect(exportTo(".", "--layers", "1")).rejects.toThrow(/^--out: '.*' is a directory; give a file path/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("leaves the demo's command line as it was", async () => {
    await expect(unfoldCommand(["--layers", "0"], captureIO())).rejects.toThrow(/--layers must be an integer >= 1/);
    // A positional other than a leading "export" is still refused.
    await expect(unfoldCommand(["--layers", "2", "export"], captureIO())).rejects.toThrow(/export/);
    const io = captureIO();
    await unfoldCommand(["--help"], io);
    expect(io.lines.join("\n")).toMatch(/^usage: unfold \[.*\n\s+unfold export .*\(see unfold export --help\)$/m);
  });
});
