import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "@unfold/testing";
import { initParams } from "@unfold/nn";
import { describe, expect, it } from "vitest";
import { ModelConfig, buildModel, exportTrainedModel, fileTask, predict } from "../src/index.js";
import { writePredictSample } from "../src/output/onnx.js";

const dir = (): string => mkdtempSync(join(tmpdir(), "unfold-export-"));

/** A small file task and an untrained transformer on it: what an export needs, in milliseconds. */
function fixture(): { task: ReturnType<typeof fileTask>; model: ReturnType<typeof buildModel> } {
  const data = join(dir(), "data.jsonl");
  writeFileSync(data, Array.from({ length: 10 }, (_, k) => JSON.stringify({ input: [[k, 1], [1, k]], label: k % 2 })).join("\n"));
  const task = fileTask({ path: data });
  return { task, model: buildModel(ModelConfig.parse({ kind: "transformer", dim: 4, layers: 1, heads: 1, mlpDim: 4 }), task) };
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describe("the trainer's ONNX export", () => {
  it("writes the model and a sha256sum-format checksum of exactly its bytes, and nothing else", async () => {
    const { task, model } = fixture();
    const out = dir();
    const onnx = join(out, "model.onnx");
    // A checksum left by an earlier export must not survive next to the new model.
    writeFileSync(`${onnx}.sha256`, `${"0".repeat(64)}  model.onnx\n`);
    await exportTrainedModel(onnx, model, task, initParams(model.specs, { seed: 2, dtype: "float32" }));
    const bytes = readFileSync(onnx);
    expect(readFileSync(`${onnx}.sha256`, "utf8")).toBe(`${sha256(bytes)}  model.onnx\n`);
    expect(readdirSync(out).sort()).toEqual(["model.onnx", "model.onnx.sha256"]);
  });

  it("makes missing directories one at a time and names --out when it cannot", async () => {
    const { task, model } = fixture();
    const out = join(dir(), "a", "b");
    await exportTrainedModel(join(out, "model.onnx"), model, task, initParams(model.specs, { seed: 2, dtype: "float32" }));
    expect(readdirSync(out).sort()).toEqual(["model.onnx", "model.onnx.sha256"]);
    const blocker = join(dir(), "file");
    writeFileSync(blocker, "");
    await expect(exportTrainedModel(join(blocker, "model.onnx"), model, task, {})).rejects.toThrow(/^--out: cannot use '.*file' as a directory/);
  });

  it("writes the predict sample atomically, and predict checks the model against its checksum before running it", async () => {
    const { task, model } = fixture();
    const out = dir();
    const onnx = join(out, "model.onnx");
    await exportTrainedModel(onnx, model, task, initParams(model.specs, { seed: 2, dtype: "float32" }));
    const sample = await writePredictSample(join(out, "predict-sample.jsonl"), task, 16);
    expect(readdirSync(out).sort()).toEqual(["model.onnx", "model.onnx.sha256", "predict-sample.jsonl"]);
    expect(readFileSync(sample, "utf8").trim().split("\n")).toHaveLength(task.testCount);
    const result = await predict(onnx, sample);
    expect(result.predictions).toHaveLength(task.testCount);

    // One flipped bit: the checksum file catches it before the model is decoded or run.
    const bytes = readFileSync(onnx);
    bytes[Math.floor(bytes.length * 0.6)]! ^= 0x01;
    writeFileSync(onnx, bytes);
    await expect(predict(onnx, sample)).rejects.toThrow(`--onnx: '${onnx}' does not match ${onnx}.sha256`);
  });
});

describe("pnpm train predict, as a process", () => {
  it("prints one line naming the flag and the file for a model that is not ONNX, and exits 1", async () => {
    const root = dir();
    const onnx = join(root, "noise.onnx");
    writeFileSync(onnx, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const input = join(root, "in.jsonl");
    writeFileSync(input, '{"input": [1]}\n');
    const script = join(import.meta.dirname, "..", "src", "bin", "train.ts");
    const result = await runCommand(script, ["predict", "--onnx", onnx, "--input", input], { timeoutMs: 120_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: --onnx: '${onnx.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}' is not a valid ONNX model: the file is truncated or corrupt \\(.+\\)$`));
  });
});
