// saveFixedPoint: the fixed-point model written atomically, loadable by a fresh session, naming
// the Unfold version that wrote it; a refused export leaves nothing behind.
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import { FIXED_POINT_METADATA, FIXED_POINT_OUTPUTS, inspectOnnx } from "../src/index.js";
import { saveFixedPoint, unfoldVersion } from "../src/node.js";
import { d, inFrameworkFixedPoint, n, quadraticMap, quadraticProblem } from "./fixed-point-fixtures.js";

describe("saveFixedPoint", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("writes a model that a fresh session runs to the fixed point, with the Unfold version", async () => {
    const dir = await mkdtemp(join(tmpdir(), "unfold-fixed-point-"));
    dirs.push(dir);
    const { params, state } = quadraticProblem(5, [0.5, 1, 2, 4], "float64");
    const map = quadraticMap(0.2);
    const path = join(dir, "quadratic.onnx");
    const returned = await saveFixedPoint(path, map, { shape: [n, d], dtype: "float64", tol: 1e-8, maxIterations: 1000, params });
    expect(await readdir(dir)).toEqual(["quadratic.onnx"]);
    const bytes = new Uint8Array(await readFile(path));
    expect(bytes.byteLength).toBe(returned.byteLength);
    expect(Array.from(bytes)).toEqual(Array.from(returned));
    const meta = inspectOnnx(bytes).metadata;
    expect(meta["unfold.version"]).toBe(unfoldVersion());
    expect(meta[FIXED_POINT_METADATA.maxIterations]).toBe("1000");
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ state: new ort.Tensor("float64", state.data as Float64Array, [n, d]) });
    await session.release();
    const want = await inFrameworkFixedPoint(map, state, params, 1e-8, 1000);
    expect(Number((out[FIXED_POINT_OUTPUTS.iterations]!.data as BigInt64Array)[0])).toBe(want.iterations);
  });

  it("leaves no file behind when the export is refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "unfold-fixed-point-"));
    dirs.push(dir);
    await expect(saveFixedPoint(join(dir, "bad.onnx"), quadraticMap(0.2), { shape: [n, d], dtype: "float64", tol: 0, maxIterations: 10 })).rejects.toThrow(
      "exportFixedPoint: tol must be a positive finite number, got 0",
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
