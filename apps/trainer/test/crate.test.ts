import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Graph, Random, interpret } from "@unfold/core";
import { compressionRate } from "@unfold/energies";
import { initParams } from "@unfold/nn";
import { describe, expect, it } from "vitest";
import { ModelConfig, TrainerConfig, buildModel, buildTask, logitsProgram, trainCommand } from "../src/index.js";
import type { CrateTrainerModel } from "@unfold/training";
import { compressionOf, logDetCholesky, nonZeroShare } from "../src/report/coding-rate.js";
import type { CrateLayerFigures } from "../src/report/crate-layers.js";
import { captureIO, quiet, tempDir } from "./helpers/trainer.js";

const task = buildTask(TrainerConfig.parse({ task: { kind: "mnist", train: 20, test: 10 } }).task);

describe("crate model", () => {
  const model = buildModel(ModelConfig.parse({ kind: "crate", dim: 8, heads: 2, layers: 2 }), task) as CrateTrainerModel;
  const params = initParams(model.specs, { seed: 4, dtype: "float64" });
  const feeds = (count: number): Map<string, Float64Array> =>
    new Map([...Object.entries(params).map(([n, t]) => [n, Float64Array.from(t.data)] as [string, Float64Array]), ["inputs", task.batch("test", Int32Array.from({ length: count }, (_, i) => i)).inputs]]);

  it("gives finite logits of the right shape that depend on the input", () => {
    const out = interpret(logitsProgram(model, task, 3, "float64"), feeds(3)).get("logits")!;
    expect(out).toHaveLength(3 * 10);
    expect(out.every(Number.isFinite)).toBe(true);
    expect(out.slice(0, 10)).not.toEqual(out.slice(10, 20));
  });

  it("has per-layer bases and dictionaries, and its ISTA outputs are non-negative with exact zeros", () => {
    expect(Object.keys(model.specs)).toEqual(expect.arrayContaining(["layer0.U", "layer0.D", "layer1.U", "layer1.D"]));
    const graph = new Graph();
    const input = graph.leaf("input", "inputs", [3, 16, 49], "float64");
    const leaves = Object.fromEntries(Object.entries(model.specs).map(([n, s]) => [n, graph.leaf("param", n, s.shape, "float64")]));
    const states = model.layerStates(input, leaves);
    const out = interpret(graph.toProgram({ z0: states.input, half: states.compressed[0]!, z1: states.sparse[0]!, z2: states.sparse[1]! }), feeds(3));
    for (const z of [out.get("z1")!, out.get("z2")!]) {
      expect(Math.min(...z)).toBeGreaterThanOrEqual(0);
      expect(z.filter((v) => v === 0).length).toBeGreaterThan(0);
    }
    // Layer 1's ISTA output is CRATE's block on its MSSA output H: ReLU(H + eta (H - H D^T) D - eta lambda), eta 0.1, lambda 0.1.
    const [H, D, d] = [out.get("half")!, params["layer0.D"]!.data, 8];
    const expected = new Float64Array(H.length);
    for (let row = 0; row < H.length / d; row++) {
      const residual = Array.from({ length: d }, (_, a) => H[row * d + a]! - Array.from({ length: d }, (_, b) => H[row * d + b]! * D[a * d + b]!).reduce((x, y) => x + y));
      for (let b = 0; b < d; b++) expected[row * d + b] = Math.max(0, H[row * d + b]! + 0.1 * residual.reduce((x, r, a) => x + r * D[a * d + b]!, 0) - 0.01);
    }
    expect(Math.max(...expected.map((e, i) => Math.abs(e - out.get("z1")![i]!)))).toBeLessThan(1e-12);
    expect(out.get("half")!).not.toEqual(out.get("z0")!);
  });
});

describe("crate layer measures", () => {
  it("the host coding rate equals the energy's compression term, and the log det its definition", () => {
    const [n, d, K, p, eps] = [6, 8, 2, 4, 0.9];
    const rng = new Random(2);
    const Z = rng.normals(2 * n * d);
    const U = rng.normals(K * d * p, 0.5);
    const graph = new Graph();
    const r = compressionRate(graph.leaf("input", "Z", [n, d], "float64"), graph.leaf("param", "U", [K, d, p], "float64"), eps);
    const program = graph.toProgram({ r });
    const traced = interpret(program, new Map([["Z", Z.slice(n * d)], ["U", U]])).get("r")![0]!;
    expect(compressionOf(Z, n * d, n, d, U, K, p, eps)).toBeCloseTo(traced, 10);
    // [[4, 2], [2, 3]]: det 8.
    expect(logDetCholesky(Float64Array.from([4, 2, 2, 3]), 2)).toBeCloseTo(Math.log(8), 14);
    expect(logDetCholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNaN();
    expect(nonZeroShare([0, 1, 0, -2, 0], 1, 4)).toBe(0.5);
  });
});

describe("pnpm train --model crate", () => {
  it("trains end to end in process and writes the per-layer coding rate and sparsity: table, plots and JSON", async () => {
    const out = tempDir();
    const io = captureIO();
    const { lines } = io;
    const args = ["--model", "crate", "--train-examples", "64", "--test-examples", "16", "--batch-size", "16", "--epochs", "1", "--warmup-steps", "1", "--dim", "8", "--heads", "2", "--layers", "2", "--energy-inputs", "5", "--out", out, "--json"];
    const run = await trainCommand(args, io, { progressStream: quiet });
    expect(run?.interrupted).toBe(false);
    const summary = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(summary["model"]).toBe("crate");
    expect(lines.some((l) => l.startsWith("CRATE by layer, means over 5 test inputs"))).toBe(true);
    for (const file of ["coding-rate.svg", "sparsity.svg", "crate-layers.json", "model.onnx"]) expect(existsSync(join(out, file)), file).toBe(true);
    const figures = JSON.parse(readFileSync(join(out, "crate-layers.json"), "utf8")) as CrateLayerFigures;
    expect(figures.inputs).toBe(5);
    for (const series of [figures.codingRate.before, figures.codingRate.after, figures.nonZero.before, figures.nonZero.after]) {
      expect(series).toHaveLength(3);
      expect(series.every(Number.isFinite)).toBe(true);
    }
    // A coding rate is a sum of log dets of I + PSD: positive; shares are in [0, 1], and ISTA's ReLU zeroes some entries.
    expect(Math.min(...figures.codingRate.after)).toBeGreaterThan(0);
    expect(figures.nonZero.after.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(figures.nonZero.after[2]!).toBeLessThan(1);
    expect(readFileSync(join(out, "sparsity.svg"), "utf8")).toContain("after training");
  }, 120_000);
});
