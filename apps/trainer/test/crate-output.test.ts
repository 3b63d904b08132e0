import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TrainerConfig, type TrainSummary, train, trainCommand } from "../src/index.js";
import { CRATE_LAYER_FILES, type CrateLayerFigures } from "../src/report/crate-layers.js";
import { captureIO, finished, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/**
 * What a CRATE run leaves in and reports from its output directory: its layer figures go with
 * --overwrite like every other file of the run, its energy-input count is checked before training
 * like the energy models', and its --json summary carries the figures by layer.
 */

/** A tiny CRATE run on MNIST (4 steps of 16, 2 layers of width 8) into `out`, as command-line flags. */
const crateArgs = (out: string, ...more: string[]): string[] => [
  "--model", "crate", "--train-examples", "64", "--test-examples", "16", "--batch-size", "16", "--epochs", "1", "--warmup-steps", "1",
  "--dim", "8", "--heads", "2", "--layers", "2", "--out", out, ...more,
];

const crateFiles = Object.values(CRATE_LAYER_FILES);

describe("a CRATE run's --json summary and --overwrite", () => {
  it("the summary carries the coding rate and sparsity by layer; an --overwrite by another model removes the CRATE figures", async () => {
    const out = join(tempDir(), "run");
    const io = captureIO();
    finished(await trainCommand(crateArgs(out, "--energy-inputs", "5", "--json"), io, { progressStream: quiet }));
    const summary = JSON.parse(io.lines.at(-1)!) as TrainSummary;
    expect(summary.model).toBe("crate");
    const figures = summary.crateLayers!;
    // The same figures as the run's JSON file: layer 0 (the embedding) and 2 layers, before and after training, over 5 inputs.
    expect(figures).toEqual(JSON.parse(readFileSync(join(out, CRATE_LAYER_FILES.figures), "utf8")) as CrateLayerFigures);
    expect(figures.inputs).toBe(5);
    for (const series of [figures.codingRate.before, figures.codingRate.after, figures.nonZero.before, figures.nonZero.after]) {
      expect(series).toHaveLength(3);
      expect(series.every(Number.isFinite)).toBe(true);
    }
    expect(summary.energyByLayer).toEqual([]);
    for (const file of crateFiles) expect(existsSync(join(out, file)), file).toBe(true);

    // A yang run over it: the earlier run's figures go (and say so); the new run writes its own energy figure.
    const overwrite = captureIO();
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    const yang = finished(await trainCommand(["--config", config, "--out", out, "--overwrite", "--json"], overwrite, { progressStream: quiet }));
    const notice = overwrite.progressed.find((m) => m.startsWith("--overwrite: removed the earlier run's"));
    expect(notice).toBe(
      `--overwrite: removed the earlier run's checkpoint/ (3 files), metrics.jsonl, loss.svg, accuracy.svg, coding-rate.svg, sparsity.svg, crate-layers.json, model.onnx, model.onnx.sha256, predict-sample.jsonl from '${yang.outDir}'`,
    );
    expect(readdirSync(out).sort()).toEqual(["accuracy.svg", "checkpoint", "energy.svg", "loss.svg", "metrics.jsonl"]);
    // Other models' summaries have no CRATE figures.
    expect(JSON.parse(overwrite.lines.at(-1)!)).not.toHaveProperty("crateLayers");
  }, 120_000);

  it("an --overwrite by a CRATE run removes the earlier energy figure", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    finished(await trainCommand(["--config", config, "--out", out], captureIO(), { progressStream: quiet }));
    expect(existsSync(join(out, "energy.svg"))).toBe(true);
    finished(await trainCommand(crateArgs(out, "--energy-inputs", "4", "--overwrite"), captureIO(), { progressStream: quiet }));
    expect(readdirSync(out).sort()).toEqual(["accuracy.svg", "checkpoint", ...crateFiles, "loss.svg", "metrics.jsonl", "model.onnx", "model.onnx.sha256", "predict-sample.jsonl"].sort());
  }, 120_000);
});

describe("a CRATE run's energy-input count", () => {
  it("--energy-inputs beyond the test split is refused before any training, naming the flag and the limit", async () => {
    const out = join(tempDir(), "run");
    await expect(trainCommand(crateArgs(out, "--energy-inputs", "17"), captureIO(), { progressStream: quiet })).rejects.toThrow(
      "--energy-inputs: 17 energy inputs, but the test split has 16 examples; give at most 16",
    );
    // Nothing trained: no metrics, no checkpoint.
    expect(readdirSync(out).filter((n) => !n.startsWith("."))).toEqual([]);
  });

  it("a config file's energyInputs beyond the test split is refused, naming the file and the field", async () => {
    const dir = tempDir();
    const config = writeConfigFile(dir, { ...tinyConfigJson(), model: { kind: "crate", dim: 8, heads: 2, layers: 1 }, energyInputs: 40 }, "crate.json");
    await expect(trainCommand(["--config", config, "--out", join(dir, "run")], captureIO(), { progressStream: quiet })).rejects.toThrow(
      `${config}: field energyInputs: 40 energy inputs, but the test split has 16 examples; give at most 16`,
    );
  });

  it("through the API, a count the test split cannot supply is refused", async () => {
    const out = join(tempDir(), "run");
    const config = TrainerConfig.parse({ ...tinyConfigJson(), model: { kind: "crate", dim: 8, heads: 2, layers: 1 }, energyInputs: 17, out });
    await expect(train(config, { progressStream: quiet })).rejects.toThrow("config field energyInputs: 17 energy inputs, but the test split has 16 examples; give at most 16");
  });

  it("the default, larger than the test split, is lowered before training and said; the figures and the checkpoint use the count", async () => {
    const out = join(tempDir(), "run");
    const io = captureIO();
    const run = finished(await trainCommand(crateArgs(out, "--json"), io, { progressStream: quiet }));
    expect(io.progressed).toContain("crate figures: the test split has 16 examples, fewer than the default 200 energy inputs; measuring all 16 (set --energy-inputs to choose)");
    expect(run.config.energyInputs).toBe(16);
    expect((JSON.parse(io.lines.at(-1)!) as TrainSummary).crateLayers!.inputs).toBe(16);
    // Lowered before training: the config the checkpoint records (and a resume repeats) holds the count used.
    const manifest = JSON.parse(readFileSync(join(out, "checkpoint", "checkpoint.json"), "utf8")) as { state: { config: { energyInputs: number } } };
    expect(manifest.state.config.energyInputs).toBe(16);
  }, 120_000);
});
