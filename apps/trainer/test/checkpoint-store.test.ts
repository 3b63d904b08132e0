import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileDurably } from "../src/checkpoint/durable.js";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../src/checkpoint/store.js";

const root = mkdtempSync(join(tmpdir(), "unfold-ckpt-"));
let counter = 0;
const freshDir = () => join(root, `run-${counter++}`);

function checkpointAt(step: number, scale = 1): Checkpoint {
  return {
    step,
    weights: {
      "embed.weight": { data: Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) * scale * step), shape: [3, 4] },
      "head.bias": { data: Float64Array.from([step, -step, 0.125]), shape: [3] },
    },
    optimizer: {
      "embed.weight.m": { data: Float32Array.from({ length: 12 }, (_, i) => i * 1e-3 * scale), shape: [3, 4] },
      "adam.t": { data: Int32Array.from([step]), shape: [] },
    },
    state: { config: { lr: 0.001, model: "unfolded" }, epoch: Math.floor(step / 10), metrics: { loss: 1 / (step + 1) }, nested: [1, "a", null] },
  };
}

function expectSame(actual: Checkpoint, expected: Checkpoint): void {
  expect(actual.step).toBe(expected.step);
  expect(actual.state).toEqual(expected.state);
  for (const part of ["weights", "optimizer"] as const) {
    expect(Object.keys(actual[part]).sort()).toEqual(Object.keys(expected[part]).sort());
    for (const [name, t] of Object.entries(expected[part])) {
      expect(actual[part][name]!.data).toEqual(t.data);
      expect(actual[part][name]!.shape).toEqual(t.shape);
    }
  }
}

const files = (dir: string) => readdirSync(dir).sort();

describe("saveCheckpoint / loadCheckpoint", () => {
  it("round-trips weights, optimizer state and JSON state, creating the directory", async () => {
    const dir = join(freshDir(), "nested", "ckpt");
    const saved = checkpointAt(100);
    const { path } = await saveCheckpoint(dir, saved);
    expect(path).toBe(join(dir, "checkpoint.json"));
    expectSame(await loadCheckpoint(dir), saved);
    expect(files(dir)).toEqual(["checkpoint.json", "optimizer-100.safetensors", "weights-100.safetensors"]);
  });

  it("records each tensor file's size and SHA-256 in checkpoint.json", async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, checkpointAt(5));
    const manifest = JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8"));
    expect(manifest.step).toBe(5);
    for (const kind of ["weights", "optimizer"]) {
      const bytes = readFileSync(join(dir, `${kind}-5.safetensors`));
      expect(manifest[kind]).toEqual({ file: `${kind}-5.safetensors`, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
  });

  it("removes older steps' files, leftovers of crashed saves and temp files, but nothing else", async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, checkpointAt(100));
    writeFileSync(join(dir, "weights-300.safetensors"), "left by a save that crashed before its manifest");
    writeFileSync(join(dir, ".tmp-optimizer-300.safetensors.123.abcd"), "partial");
    writeFileSync(join(dir, "metrics.jsonl"), "{}\n");
    const second = checkpointAt(200, 2);
    await saveCheckpoint(dir, second);
    expect(files(dir)).toEqual(["checkpoint.json", "metrics.jsonl", "optimizer-200.safetensors", "weights-200.safetensors"]);
    expectSame(await loadCheckpoint(dir), second);
  });

  it("re-saving the current step never overwrites the files the manifest points at", async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, checkpointAt(100));
    const again = checkpointAt(100, 3);
    await saveCheckpoint(dir, again);
    expect(files(dir)).toEqual(["checkpoint.json", "optimizer-100-b.safetensors", "weights-100-b.safetensors"]);
    expectSame(await loadCheckpoint(dir), again);
    const third = checkpointAt(100, 4);
    await saveCheckpoint(dir, third);
    expect(files(dir)).toEqual(["checkpoint.json", "optimizer-100.safetensors", "weights-100.safetensors"]);
    expectSame(await loadCheckpoint(dir), third);
  });

  it("a save that fails at any file leaves the previous checkpoint loadable", async () => {
    for (const failAt of [0, 1, 2]) {
      const dir = freshDir();
      const first = checkpointAt(100);
      await saveCheckpoint(dir, first);
      let calls = 0;
      const failing = async (path: string, bytes: Uint8Array) => {
        if (calls++ === failAt) throw new Error("disk full (injected)");
        await writeFileDurably(path, bytes);
      };
      const target = ["weights-200.safetensors", "optimizer-200.safetensors", "checkpoint.json"][failAt]!;
      await expect(saveCheckpoint(dir, checkpointAt(200, 2), { writeFile: failing })).rejects.toThrow(`saveCheckpoint: cannot write ${join(dir, target)}: disk full (injected)`);
      expectSame(await loadCheckpoint(dir), first);
      // The previous step's files were not cleaned up by the failed save.
      expect(files(dir)).toContain("weights-100.safetensors");
      expect(files(dir)).toContain("optimizer-100.safetensors");
    }
  });

  it("a failed re-save of the current step leaves that step's previous contents loadable", async () => {
    const dir = freshDir();
    const first = checkpointAt(100);
    await saveCheckpoint(dir, first);
    const failManifest = async (path: string, bytes: Uint8Array) => {
      if (path.endsWith("checkpoint.json")) throw new Error("crash before the manifest (injected)");
      await writeFileDurably(path, bytes);
    };
    await expect(saveCheckpoint(dir, checkpointAt(100, 7), { writeFile: failManifest })).rejects.toThrow(/crash before the manifest/);
    expectSame(await loadCheckpoint(dir), first);
  });

  it("a real file-system failure midway (a directory where the optimizer file goes) leaves the previous checkpoint loadable and no temp files", async () => {
    const dir = freshDir();
    const first = checkpointAt(100);
    await saveCheckpoint(dir, first);
    mkdirSync(join(dir, "optimizer-200.safetensors", "blocker"), { recursive: true });
    await expect(saveCheckpoint(dir, checkpointAt(200))).rejects.toThrow(`cannot write ${join(dir, "optimizer-200.safetensors")}`);
    expectSame(await loadCheckpoint(dir), first);
    expect(files(dir).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
    // Once the obstacle is gone, the next save succeeds and sweeps the half-written step.
    rmSync(join(dir, "optimizer-200.safetensors"), { recursive: true });
    const third = checkpointAt(300);
    await saveCheckpoint(dir, third);
    expect(files(dir)).toEqual(["checkpoint.json", "optimizer-300.safetensors", "weights-300.safetensors"]);
    expectSame(await loadCheckpoint(dir), third);
  });

  it("an unwritable path gives an error naming it", async () => {
    const blocker = join(freshDir() + "-file");
    writeFileSync(blocker, "a regular file, not a directory");
    const dir = join(blocker, "ckpt");
    await expect(saveCheckpoint(dir, checkpointAt(1))).rejects.toThrow(`saveCheckpoint: cannot create the checkpoint directory ${dir}: `);
  });

  it("rejects bad steps and state that is not JSON before writing anything", async () => {
    const dir = freshDir();
    await expect(saveCheckpoint(dir, { ...checkpointAt(1), step: -1 })).rejects.toThrow(/step must be an integer >= 0, got -1/);
    await expect(saveCheckpoint(dir, { ...checkpointAt(1), state: { big: 1n } })).rejects.toThrow(/state must be JSON-serializable/);
    await expect(saveCheckpoint(dir, { ...checkpointAt(1), state: () => 1 })).rejects.toThrow(/state must be JSON-serializable, got a function/);
    await expect(saveCheckpoint(dir, { ...checkpointAt(1), weights: { w: { data: new Float32Array(3), shape: [2] } } })).rejects.toThrow(/tensor "w" has 3 elements/);
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });
});

describe("loadCheckpoint errors", () => {
  async function saved(): Promise<string> {
    const dir = freshDir();
    await saveCheckpoint(dir, checkpointAt(100));
    return dir;
  }

  it("a missing directory, a file instead of one, a missing manifest", async () => {
    const missing = join(root, "never-made");
    await expect(loadCheckpoint(missing)).rejects.toThrow(`loadCheckpoint: checkpoint directory ${missing} does not exist`);
    const file = join(root, "plain-file");
    writeFileSync(file, "x");
    await expect(loadCheckpoint(file)).rejects.toThrow(`loadCheckpoint: ${file} is not a directory`);
    const empty = freshDir();
    mkdirSync(empty);
    await expect(loadCheckpoint(empty)).rejects.toThrow(`loadCheckpoint: no checkpoint in ${empty}: checkpoint.json is missing`);
  });

  it("a corrupt or foreign manifest", async () => {
    const dir = await saved();
    const manifestPath = join(dir, "checkpoint.json");
    const good = JSON.parse(readFileSync(manifestPath, "utf8"));
    writeFileSync(manifestPath, '{"step": 100, "weights": ');
    await expect(loadCheckpoint(dir)).rejects.toThrow(`loadCheckpoint: ${manifestPath} is not valid JSON (`);
    writeFileSync(manifestPath, JSON.stringify({ ...good, format: "other" }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${manifestPath}: field "format" must be "unfold-checkpoint"`);
    writeFileSync(manifestPath, JSON.stringify({ ...good, step: "100" }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${manifestPath}: field "step" must be an integer >= 0, got "100"`);
    writeFileSync(manifestPath, JSON.stringify({ ...good, weights: { ...good.weights, file: "../elsewhere.safetensors" } }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${manifestPath}: field "weights.file" must be a file name in the checkpoint directory`);
    writeFileSync(manifestPath, JSON.stringify({ ...good, optimizer: { ...good.optimizer, sha256: "abc" } }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${manifestPath}: field "optimizer.sha256" must be 64 lowercase hex digits`);
  });

  it("a missing, truncated or altered tensor file", async () => {
    const dir = await saved();
    const weights = join(dir, "weights-100.safetensors");
    const optimizer = join(dir, "optimizer-100.safetensors");
    const original = readFileSync(optimizer);
    writeFileSync(optimizer, original.subarray(0, original.length - 4));
    await expect(loadCheckpoint(dir)).rejects.toThrow(`loadCheckpoint: ${optimizer} has ${original.length - 4} bytes but ${join(dir, "checkpoint.json")} records ${original.length}: the file is truncated or was replaced`);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1] ^= 0x01;
    writeFileSync(optimizer, flipped);
    await expect(loadCheckpoint(dir)).rejects.toThrow(`loadCheckpoint: ${optimizer} does not match the checksum in ${join(dir, "checkpoint.json")}`);
    writeFileSync(optimizer, original);
    rmSync(weights);
    await expect(loadCheckpoint(dir)).rejects.toThrow(`loadCheckpoint: ${weights}, the weights file ${join(dir, "checkpoint.json")} names, is missing`);
  });

  it("a tensor file that matches its checksum but is not valid safetensors names the file", async () => {
    const dir = await saved();
    const manifestPath = join(dir, "checkpoint.json");
    const junk = Buffer.from("not a safetensors file at all");
    writeFileSync(join(dir, "weights-100.safetensors"), junk);
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    manifest.weights = { ...manifest.weights, bytes: junk.length, sha256: createHash("sha256").update(junk).digest("hex") };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await expect(loadCheckpoint(dir)).rejects.toThrow(`decodeSafetensors ${join(dir, "weights-100.safetensors")}: header length`);
  });
});
