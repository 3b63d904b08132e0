import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, trainCommand } from "../src/index.js";
import { captureIO, finished, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

// --depth implicit on the zoo models: CRATE and the Energy Transformer iterated to their fixed
// points and trained by implicit gradients. Config errors name the flag or the file's field.

/** The tiny run's config with a zoo model of width 8 (CRATE tied, as a fixed point needs) and no layer count. */
function zooJson(kind: "crate" | "energy-transformer", model: Record<string, unknown> = {}): Record<string, unknown> {
  const sizes = kind === "crate" ? { kind, dim: 8, heads: 2, tied: true } : { kind, dim: 8, heads: 2, headDim: 4, memories: 8 };
  return { ...tinyConfigJson(), model: { ...sizes, ...model } };
}

/**
 * The Energy Transformer's solve on MNIST patches: at anchor 1 its map is barely contractive there
 * (plain iteration took 492 to over 2,000 iterations to 1e-6, Anderson ran out of 200 on 2 of 8
 * steps); anchor 4 and plain iteration converged every step (see docs/fixed-points.md, section 6).
 */
const ET_FIXED_POINT = { anchor: 4, solver: "iteration", maxIterations: 2_000 };

/** metrics.jsonl's training records. */
function trainingRecords(out: string): Record<string, unknown>[] {
  return readFileSync(join(out, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((r) => r["loss"] !== undefined);
}

describe("--depth implicit on crate and energy-transformer", () => {
  it("sets model.fixedPoint on either kind; --depth unrolled removes it", () => {
    const dir = tempDir();
    for (const kind of ["crate", "energy-transformer"] as const) {
      const implicit = loadConfig({ config: writeConfigFile(dir, zooJson(kind), `${kind}.json`), depth: "implicit" });
      expect(implicit.model.kind === kind && implicit.model.fixedPoint).toEqual({ maxIterations: 200, solver: "anderson", backward: "implicit", anchor: 1 });
      const unrolled = loadConfig({ config: writeConfigFile(dir, zooJson(kind, { fixedPoint: {} }), `${kind}-own.json`), depth: "unrolled" });
      expect(unrolled.model.kind === kind && unrolled.model.fixedPoint).toBeUndefined();
    }
    expect(loadConfig({ model: "energy-transformer", depth: "implicit" }).model).toMatchObject({ kind: "energy-transformer", fixedPoint: { anchor: 1 } });
  });

  it("refuses what a fixed point cannot run, naming the flag or the field", () => {
    const dir = tempDir();
    expect(() => loadConfig({ model: "crate", depth: "implicit" })).toThrow(
      "config field model.tied: model.fixedPoint needs one layer map: untied weights give every layer its own map; set model.tied to true (CRATE is untied unless told)",
    );
    const untied = writeConfigFile(dir, zooJson("crate", { tied: false }), "untied.json");
    expect(() => loadConfig({ config: untied, depth: "implicit" })).toThrow(`${untied}: field model.tied: model.fixedPoint needs one layer map`);
    const crate = writeConfigFile(dir, zooJson("crate"), "crate.json");
    const et = writeConfigFile(dir, zooJson("energy-transformer"), "et.json");
    for (const config of [crate, et]) {
      expect(() => loadConfig({ config, depth: "implicit", flags: { layers: "4" } })).toThrow(
        "--layers: a fixed-point model (model.fixedPoint, --depth implicit) iterates one layer until it converges, so a layer count does not apply; remove layers",
      );
    }
    const kappa = writeConfigFile(dir, zooJson("crate", { mssaStep: 0.5 }), "kappa.json");
    expect(() => loadConfig({ config: kappa, depth: "implicit" })).toThrow(
      `${kappa}: field model.mssaStep: a fixed-point CRATE model (model.fixedPoint, --depth implicit) takes one proximal step on the compression term's exact gradient instead of MSSA's step, so mssaStep does not apply; remove mssaStep`,
    );
    // Unrolled, mssaStep is CRATE's own.
    expect(loadConfig({ config: kappa }).model).toMatchObject({ kind: "crate", mssaStep: 0.5 });
    const learned = writeConfigFile(dir, zooJson("energy-transformer", { learnedStep: true }), "learned.json");
    expect(() => loadConfig({ config: learned, depth: "implicit" })).toThrow(
      `${learned}: field model.learnedStep: model.fixedPoint iterates one map with a fixed step size; remove model.learnedStep (the step is fixed at model.stepSize)`,
    );
    const pull = writeConfigFile(dir, zooJson("energy-transformer", { stepSize: 1, fixedPoint: { anchor: 3 } }), "pull.json");
    expect(() => loadConfig({ config: pull })).toThrow(`${pull}: field model.fixedPoint.anchor: model.fixedPoint.anchor 3 times model.stepSize 1 is 3, but the anchor's pull contracts only below 2`);
  });

  it.each(["crate", "energy-transformer"] as const)("trains a fixed-point %s model end to end, logging the solver's figures per step", async (kind) => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), zooJson(kind, kind === "energy-transformer" ? { fixedPoint: ET_FIXED_POINT } : {}));
    const io = captureIO();
    // The Energy Transformer's solves take hundreds of iterations (see ET_FIXED_POINT): 2 steps of it, 8 of CRATE's.
    const shorter = kind === "energy-transformer" ? ["--train-examples", "32", "--epochs", "1"] : [];
    const run = finished(await trainCommand(["--config", config, "--depth", "implicit", "--backend", "reference", "--dtype", "float64", "--out", out, ...shorter], io, { progressStream: quiet }));
    expect(run.model.fixedPoint).toBeDefined();
    expect(run.model.kind).toBe(kind);
    // The unrolled CRATE layer's coding-rate figures do not describe the fixed-point map: none are printed.
    expect(io.lines.filter((l) => l.startsWith("CRATE by layer"))).toEqual([]);
    const records = trainingRecords(out);
    expect(records).toHaveLength(kind === "energy-transformer" ? 2 : 8);
    for (const r of records) {
      expect(r["forwardIterations"]).toBeGreaterThan(1);
      expect(r["backwardIterations"]).toBeGreaterThan(1);
      expect(r["converged"]).toBe(true);
      expect(r["backwardConverged"]).toBe(true);
      expect(r["residual"]).toBeLessThanOrEqual(1e-6);
    }
    console.log(`--depth implicit ${kind}, tiny MNIST run: forward/backward iterations ${records.map((r) => `${String(r["forwardIterations"])}/${String(r["backwardIterations"])}`).join(" ")}`);
  }, 480_000);
});
