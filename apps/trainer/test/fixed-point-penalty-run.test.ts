// model.fixedPoint.jacobianPenalty through the trainer: a config error names the file's field, and
// a run writes each step's penalty estimate to metrics.jsonl.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, trainCommand } from "../src/index.js";
import { captureIO, finished, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/** The tiny run's config as a fixed-point model with `fixedPoint`. */
function fixedPointJson(fixedPoint: Record<string, unknown>): Record<string, unknown> {
  const base = tinyConfigJson();
  const { layers: _layers, ...rest } = base["model"] as Record<string, unknown>;
  return { ...base, model: { ...rest, tied: true, fixedPoint } };
}

describe("model.fixedPoint.jacobianPenalty in the trainer", () => {
  it("refuses a bad weight naming the config file's field", () => {
    const dir = tempDir();
    const zero = writeConfigFile(dir, fixedPointJson({ jacobianPenalty: { weight: 0 } }), "zero.json");
    expect(() => loadConfig({ config: zero })).toThrow(`${zero}: field model.fixedPoint.jacobianPenalty.weight: Too small: expected number to be >0, got 0`);
    const missing = writeConfigFile(dir, fixedPointJson({ jacobianPenalty: { probes: 2 } }), "missing.json");
    expect(() => loadConfig({ config: missing })).toThrow(`${missing}: field model.fixedPoint.jacobianPenalty.weight`);
  });

  for (const [backend, dtype] of [["reference", "float64"], ["cpu", "float32"]] as const) {
    it(`writes each step's penalty estimate to metrics.jsonl (${backend}, ${dtype})`, async () => {
      const out = join(tempDir(), "run");
      const config = writeConfigFile(tempDir(), fixedPointJson({ jacobianPenalty: { weight: 0.1, probes: 2, seed: 5 } }));
      finished(await trainCommand(["--config", config, "--backend", backend, "--dtype", dtype, "--out", out], captureIO(), { progressStream: quiet }));
      const records = readFileSync(join(out, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((r) => r["loss"] !== undefined);
      expect(records).toHaveLength(8);
      const penalties = records.map((r) => r["jacobianPenalty"]);
      for (const p of penalties) expect(p).toBeGreaterThan(0);
      console.log(`jacobianPenalty per step (${backend}, ${dtype}): ${penalties.map((p) => Number(p).toFixed(4)).join(" ")}`);
    }, 120_000);
  }
});
