import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, TrainerConfig, bundledConfigNames, loadConfig } from "../src/index.js";

describe("trainer config", () => {
  it("fills every default from an empty config", () => {
    const config = loadConfig();
    expect(config.task.kind).toBe("mnist");
    expect(config.model.kind).toBe("yang");
    expect(config.backend).toBe("cpu");
    expect(config.train.batchSize).toBe(64);
  });

  it("bundles the configs the README names, and each one validates", () => {
    const names = bundledConfigNames();
    for (const name of ["quick", "mnist-97", "mnist-97-baseline", "energy-transformer", "addition", "recall"]) expect(names).toContain(name);
    for (const name of names) expect(() => loadConfig({ config: name })).not.toThrow();
  });

  it("names an unknown field and the file it is in", () => {
    const dir = mkdtempSync(join(tmpdir(), "unfold-config-"));
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ model: { kind: "yang", layerz: 3 } }));
    expect(() => loadConfig({ config: path })).toThrow(ConfigError);
    expect(() => loadConfig({ config: path })).toThrow(/bad\.json: field model\.layerz: unknown field/);
  });

  it("names an out-of-range field", () => {
    const dir = mkdtempSync(join(tmpdir(), "unfold-config-"));
    const path = join(dir, "range.json");
    writeFileSync(path, JSON.stringify({ train: { batchSize: 0 } }));
    expect(() => loadConfig({ config: path })).toThrow(/field train\.batchSize: .*>=1/);
  });

  it("names the flag when a flag's value is wrong", () => {
    expect(() => loadConfig({ flags: { layers: "0" } })).toThrow(/^--layers: /);
    expect(() => loadConfig({ flags: { lr: "fast" } })).toThrow(/--lr must be a number, got 'fast'/);
    expect(() => loadConfig({ flags: { backend: "cuda" } })).toThrow(/--backend: /);
  });

  it("lets flags override a bundled config and --model switch the model kind", () => {
    const config = loadConfig({ config: "quick", model: "transformer", flags: { epochs: "3", layers: "2" } });
    expect(config.model.kind).toBe("transformer");
    expect(config.model.layers).toBe(2);
    expect(config.train.epochs).toBe(3);
    expect(config.name).toBe("quick");
  });

  it("says which configs exist when a name is unknown, and rejects invalid JSON", () => {
    expect(() => loadConfig({ config: "mnist-99" })).toThrow(/no bundled config named 'mnist-99' \(bundled: .*mnist-97/);
    const dir = mkdtempSync(join(tmpdir(), "unfold-config-"));
    const path = join(dir, "broken.json");
    writeFileSync(path, "{ \"model\": ");
    expect(() => loadConfig({ config: path })).toThrow(/broken\.json: not valid JSON/);
  });

  it("turns --data into a file task", () => {
    const config = loadConfig({ data: "train.jsonl", testData: "test.jsonl" });
    expect(config.task).toEqual({ kind: "file", path: "train.jsonl", testPath: "test.jsonl" });
    expect(() => loadConfig({ testData: "x.jsonl" })).toThrow(/--test-data needs --data/);
  });

  it("is a strict schema all the way down", () => {
    expect(TrainerConfig.safeParse({ train: { epochs: 1, momentum: 0.9 } }).success).toBe(false);
    expect(TrainerConfig.safeParse({ model: { kind: "yang", attentionStep: { fraction: 1 } } }).success).toBe(false);
  });
});
