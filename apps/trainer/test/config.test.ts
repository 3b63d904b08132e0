import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

  it("gives the quick demo (`pnpm start`, which overwrites) its own output directory, not the default a plain `pnpm train` writes to", () => {
    const root = JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { scripts: Record<string, string> };
    const start = root.scripts["start"]!;
    // The demo's run replaces the demo's earlier run, and only that: the directory comes from its config.
    expect(start).toContain("--overwrite");
    expect(start).not.toContain("--out");
    const demo = /--config (\S+)/.exec(start)?.[1];
    expect(demo).toBe("quick");
    expect(loadConfig({ config: demo! }).out).toBe("out/quick");
    expect(loadConfig({ config: demo! }).out).not.toBe(TrainerConfig.parse({}).out);
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
    expect(() => loadConfig({ flags: { lr: "fast" } })).toThrow(/--lr must be a decimal number, got 'fast'/);
    expect(() => loadConfig({ flags: { backend: "cuda" } })).toThrow(/^--backend: 'cuda' is not a backend; choose cpu, /);
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
    const dir = mkdtempSync(join(tmpdir(), "unfold-config-"));
    const [train, test] = [join(dir, "train.jsonl"), join(dir, "test.jsonl")];
    for (const path of [train, test]) writeFileSync(path, '{"input": [1], "label": 0}\n');
    const config = loadConfig({ data: train, testData: test });
    expect(config.task).toEqual({ kind: "file", path: train, testPath: test });
    expect(() => loadConfig({ testData: test })).toThrow(/--test-data needs --data/);
  });

  it("--classes sets the file task's class count and --data keeps a config's other file-task options", () => {
    const dir = mkdtempSync(join(tmpdir(), "unfold-config-"));
    const [first, second, test] = ["a.jsonl", "b.jsonl", "t.jsonl"].map((name) => join(dir, name)) as [string, string, string];
    for (const path of [first, second, test]) writeFileSync(path, '{"input": [1], "label": 0}\n');
    expect(loadConfig({ data: first, flags: { classes: "4" } }).task).toEqual({ kind: "file", path: first, classes: 4 });
    const path = join(dir, "file-task.json");
    writeFileSync(path, JSON.stringify({ task: { kind: "file", path: first, tokens: 2, classes: 5, format: "jsonl" } }));
    expect(loadConfig({ config: path, data: second }).task).toEqual({ kind: "file", path: second, tokens: 2, classes: 5, format: "jsonl" });
    // --test-data alone adds a test file to the config's own file task.
    expect(loadConfig({ config: path, testData: test }).task).toEqual({ kind: "file", path: first, testPath: test, tokens: 2, classes: 5, format: "jsonl" });
  });

  it("refuses explicit values the rest would ignore or clamp, but not defaults that do not apply", () => {
    // energyInputs is checked against the built task's test split when the run starts (the
    // trainer's output-directory and bad-input tests): loading leaves it as given.
    expect(loadConfig({ flags: { "test-examples": "20", "energy-inputs": "21" } }).energyInputs).toBe(21);
    // Row tokens with the default patch are fine; a patch given with them is not.
    expect(loadConfig({ config: "quick" }).task).toMatchObject({ tokens: "patches", patch: 7 });
    const dir = mkdtempSync(join(tmpdir(), "unfold-config-"));
    const rows = join(dir, "rows.json");
    writeFileSync(rows, JSON.stringify({ task: { kind: "mnist", tokens: "rows" } }));
    expect(loadConfig({ config: rows }).task).toMatchObject({ tokens: "rows" });
    expect(() => loadConfig({ config: rows, flags: { "train-examples": "9000" } })).toThrow("--train-examples: train + test examples must be at most the 10,000 bundled digits, got 9000 + 2000");
  });

  it("reads flag numbers as decimals only", () => {
    expect(loadConfig({ flags: { lr: "1e-3", seed: "+7" } }).train).toMatchObject({ learningRate: 0.001, seed: 7 });
    for (const text of ["0x10", "0b11", "Infinity", " ", "1_000"]) expect(() => loadConfig({ flags: { seed: text } })).toThrow(`--seed must be a decimal number, got '${text}'`);
  });

  it("is a strict schema all the way down", () => {
    expect(TrainerConfig.safeParse({ train: { epochs: 1, momentum: 0.9 } }).success).toBe(false);
    expect(TrainerConfig.safeParse({ model: { kind: "yang", attentionStep: { fraction: 1 } } }).success).toBe(false);
  });
});
