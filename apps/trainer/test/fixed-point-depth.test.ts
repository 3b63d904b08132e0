import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, trainCommand } from "../src/index.js";
import { captureIO, finished, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

// --depth implicit: the yang model iterated to its fixed point and trained by implicit gradients.
// Config errors name the flag or the file's field; a run logs the solver's figures per step.

/** The tiny run's config, tied and without a layer count (which a fixed point does not use). */
function fixedPointJson(model: Record<string, unknown> = {}): Record<string, unknown> {
  const base = tinyConfigJson();
  const { layers: _layers, ...rest } = base["model"] as Record<string, unknown>;
  return { ...base, model: { ...rest, tied: true, ...model } };
}

describe("--depth", () => {
  it("implicit sets model.fixedPoint (its defaults, or the config's own); unrolled removes it", () => {
    const dir = tempDir();
    const implicit = loadConfig({ config: writeConfigFile(dir, fixedPointJson()), depth: "implicit" });
    expect(implicit.model.kind === "yang" && implicit.model.fixedPoint).toEqual({ maxIterations: 200, solver: "anderson", backward: "implicit", anchor: 1 });
    const own = loadConfig({ config: writeConfigFile(dir, fixedPointJson({ fixedPoint: { backward: "jfb", anchor: 0.5 } })), depth: "implicit" });
    expect(own.model.kind === "yang" && own.model.fixedPoint).toMatchObject({ backward: "jfb", anchor: 0.5 });
    const unrolled = loadConfig({ config: writeConfigFile(dir, fixedPointJson({ fixedPoint: {} })), depth: "unrolled" });
    expect(unrolled.model.kind === "yang" && unrolled.model.fixedPoint).toBeUndefined();
    expect(loadConfig({ depth: "implicit" }).model.kind).toBe("yang");
  });

  it("refuses what a fixed point cannot run, naming the flag or the field", () => {
    const dir = tempDir();
    expect(() => loadConfig({ depth: "deep" })).toThrow("--depth: 'deep' is not a depth; choose unrolled or implicit");
    expect(() => loadConfig({ model: "transformer", depth: "implicit" })).toThrow(
      "--depth does not apply to model 'transformer' (it sets model.fixedPoint, which model 'transformer' does not have)",
    );
    const untied = writeConfigFile(dir, fixedPointJson({ tied: false }), "untied.json");
    expect(() => loadConfig({ config: untied, depth: "implicit" })).toThrow(
      `${untied}: field model.tied: model.fixedPoint needs one layer map: untied weights give every layer its own map; set model.tied to true`,
    );
    expect(() => loadConfig({ depth: "implicit", flags: { layers: "4" } })).toThrow(
      "--layers: a fixed-point model (model.fixedPoint, --depth implicit) iterates one layer until it converges, so a layer count does not apply; remove layers",
    );
    const misspelt = writeConfigFile(dir, fixedPointJson({ fixedPoint: { tolerance: 1e-6 } }), "misspelt.json");
    expect(() => loadConfig({ config: misspelt })).toThrow(`${misspelt}: field model.fixedPoint.tolerance: unknown field`);
    const badTol = writeConfigFile(dir, fixedPointJson({ fixedPoint: { tol: -1 } }), "tol.json");
    expect(() => loadConfig({ config: badTol })).toThrow(`${badTol}: field model.fixedPoint.tol: Too small: expected number to be >0, got -1`);
    const badBackward = writeConfigFile(dir, fixedPointJson({ fixedPoint: { backward: "unrolled" } }), "backward.json");
    expect(() => loadConfig({ config: badBackward })).toThrow(`${badBackward}: field model.fixedPoint.backward: 'unrolled' is not a backward mode; choose implicit, jfb or phantom`);
  });

  it("trains a fixed-point model and logs forward and backward iterations and the residual per step", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), fixedPointJson());
    const io = captureIO();
    const run = finished(await trainCommand(["--config", config, "--depth", "implicit", "--backend", "reference", "--dtype", "float64", "--out", out], io, { progressStream: quiet }));
    expect(run.model.fixedPoint).toBeDefined();
    const records = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r["loss"] !== undefined);
    expect(records).toHaveLength(8);
    for (const r of records) {
      expect(r["forwardIterations"]).toBeGreaterThan(1);
      expect(r["backwardIterations"]).toBeGreaterThan(1);
      expect(r["converged"]).toBe(true);
      expect(r["backwardConverged"]).toBe(true);
      expect(r["residual"]).toBeLessThanOrEqual(1e-6);
    }
    console.log(`--depth implicit, tiny MNIST run: forward/backward iterations ${records.map((r) => `${String(r["forwardIterations"])}/${String(r["backwardIterations"])}`).join(" ")}`);
  }, 120_000);
});
