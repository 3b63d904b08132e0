import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type TrainOutcome, type TrainRun, TrainerConfig, predict, train, trainCommand } from "../src/index.js";

/** A tiny MNIST run: small enough for a test, big enough that learning shows. */
function tinyConfig(out: string, overrides: Record<string, unknown> = {}): TrainerConfig {
  return TrainerConfig.parse({
    task: { kind: "mnist", tokens: "patches", patch: 7, train: 256, test: 64 },
    model: { kind: "yang", dim: 16, layers: 2, tied: false, head: "flatten" },
    train: { epochs: 4, batchSize: 32, learningRate: 0.01, warmupSteps: 2, seed: 3 },
    energyInputs: 8,
    out,
    ...overrides,
  });
}

const quiet = { write: () => true, isTTY: false };

/** The run, which must have finished (not been stopped). */
function finished(run: TrainOutcome | undefined): TrainRun {
  if (!run || run.interrupted) throw new Error("the run did not finish");
  return run;
}
const tempDir = (): string => mkdtempSync(join(tmpdir(), "unfold-train-"));

function captureIO(): { io: { out(line: string): void; progress(message: string): void }; lines: string[] } {
  const lines: string[] = [];
  return { io: { out: (line) => lines.push(line), progress: () => undefined }, lines };
}

describe("training end to end (CPU backend)", () => {
  it("lowers the loss, writes metrics and a checkpoint, and keeps the energy descending", async () => {
    const run = finished(await train(tinyConfig(tempDir()), { progressStream: quiet }));
    expect(run.step).toBe(32);
    const first = run.losses.slice(0, 4).reduce((s, l) => s + l.loss, 0) / 4;
    const last = run.losses.slice(-4).reduce((s, l) => s + l.loss, 0) / 4;
    expect(last).toBeLessThan(first);
    expect(run.test.accuracy).toBeGreaterThan(0.3);
    expect(existsSync(join(run.checkpoint, "checkpoint.json"))).toBe(true);
    const lines = readFileSync(run.metricsPath, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(32);
    // A non-causal Yang model without normalization descends its energy at every layer.
    expect(run.energyAfter!.increases).toBe(0);
    expect(run.energyBefore!.increases).toBe(0);
    expect(run.energyAfter!.meanByLayer).toHaveLength(3);
  });

  it("resumes exactly: an interrupted run continued with resume gives the same losses, bit for bit", async () => {
    const whole = await train(tinyConfig(tempDir()), { progressStream: quiet });
    const out = tempDir();
    const first = await train(tinyConfig(out), { progressStream: quiet, stopAtStep: 5 });
    expect(first.interrupted).toBe(true);
    expect(first.step).toBe(5);
    const rest = await train(tinyConfig(out), { progressStream: quiet, resume: true });
    // Bit for bit: the same batches from (seed, step), the same parameters and moments from the checkpoint.
    expect([...first.losses, ...rest.losses]).toEqual(whole.losses);
    // The metrics file holds each step once.
    const steps = readFileSync(rest.metricsPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number; loss?: number }).filter((r) => r.loss !== undefined).map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  it("stops on an abort signal after the current step and saves a checkpoint", async () => {
    const controller = new AbortController();
    const out = tempDir();
    let writes = 0;
    const stream = { write: () => { if (++writes === 3) controller.abort(); return true; }, isTTY: false };
    const run = await train(tinyConfig(out, { train: { epochs: 50, batchSize: 32, seed: 3 } }), { progressStream: stream, signal: controller.signal });
    expect(run.interrupted).toBe(true);
    expect(run.step).toBeLessThan(run.totalSteps);
    expect(existsSync(join(out, "checkpoint", "checkpoint.json"))).toBe(true);
  });

  it("the command stopped by SIGTERM: names the checkpoint and the resume command, exits 143, ends with a JSON line, writes no plots", async () => {
    const controller = new AbortController();
    let writes = 0;
    const stream = { write: () => { if (++writes === 3) controller.abort("SIGTERM"); return true; }, isTTY: false };
    const out = tempDir();
    const { io, lines } = captureIO();
    const args = ["--config", "quick", "--train-examples", "256", "--test-examples", "64", "--epochs", "50", "--warmup-steps", "1", "--dim", "16", "--layers", "2", "--energy-inputs", "4", "--out", out, "--json"];
    let code: typeof process.exitCode;
    let run;
    try {
      run = await trainCommand(args, io, { progressStream: stream, signal: controller.signal });
      code = process.exitCode;
    } finally {
      process.exitCode = undefined;
    }
    if (!run?.interrupted) throw new Error("the run was not stopped");
    expect(code).toBe(143);
    expect(run.step).toBeLessThan(run.totalSteps);
    expect(lines).toContain(`continue with: unfold train --resume --out ${out}`);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ interrupted: true, stop: "SIGTERM", step: run.step, totalSteps: 200, checkpoint: join(out, "checkpoint"), resume: `unfold train --resume --out ${out}` });
    expect(existsSync(join(out, "loss.svg"))).toBe(false);
    expect(existsSync(join(out, "model.onnx"))).toBe(false);
  });

  it("runs the command: summary, plots, ONNX export, and predict matching the in-framework predictions", async () => {
    const out = tempDir();
    const { io, lines } = captureIO();
    const run = finished(await trainCommand(["--config", "quick", "--train-examples", "256", "--test-examples", "64", "--epochs", "1", "--warmup-steps", "1", "--dim", "16", "--layers", "2", "--energy-inputs", "4", "--out", out, "--json"], io, { progressStream: quiet }));
    const summary = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(Object.keys(summary).sort()).toEqual(["backend", "checkpoint", "energyByLayer", "energyIncreases", "model", "onnx", "testAccuracy", "trainSeconds"]);
    expect(summary["model"]).toBe("yang");
    expect(summary["testAccuracy"]).toBe(run.test.accuracy);
    expect((summary["energyByLayer"] as number[]).length).toBe(3);
    for (const file of ["loss.svg", "accuracy.svg", "energy.svg", "model.onnx", "predict-sample.jsonl"]) expect(existsSync(join(out, file))).toBe(true);
    expect(lines.some((l) => l.startsWith("energy by layer"))).toBe(true);

    const result = await predict(join(out, "model.onnx"), join(out, "predict-sample.jsonl"));
    expect(result.predictions).toHaveLength(16);
    const framework = run.test.predictions.slice(0, 16);
    expect(result.predictions.map((p) => p.predicted)).toEqual(Array.from(framework));
  });
});
