import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebGpuBackend } from "@unfold/backend-webgpu";
import { type BackendName, type TrainOutcome, type TrainRun, TrainerConfig } from "../../src/index.js";
export { captureIO } from "@unfold/testing";

/** The trainer's entry point, run as a real process (signals, exit codes, locks) by startCommand. */
export const TRAIN_SCRIPT = fileURLToPath(new URL("../../src/bin/train.ts", import.meta.url));

export const tempDir = (prefix = "unfold-train-"): string => mkdtempSync(join(tmpdir(), prefix));

/** A progress stream that drops everything. */
export const quiet = { write: () => true, isTTY: false };

/** A tiny MNIST run (4 steps an epoch, one layer of width 8): seconds on any backend but WebGPU. */
export function tinyConfigJson(overrides: { train?: Record<string, unknown>; backend?: BackendName; [k: string]: unknown } = {}): Record<string, unknown> {
  const { train, ...rest } = overrides;
  return {
    task: { kind: "mnist", train: 64, test: 16 },
    model: { kind: "yang", dim: 8, layers: 1, tied: false, head: "flatten" },
    train: { epochs: 2, batchSize: 16, learningRate: 0.003, warmupSteps: 1, seed: 5, ...train },
    energyInputs: 2,
    onnx: false,
    ...rest,
  };
}

export function tinyConfig(out: string, overrides: Parameters<typeof tinyConfigJson>[0] = {}): TrainerConfig {
  return TrainerConfig.parse({ ...tinyConfigJson(overrides), out });
}

/** Writes a config file (for `--config FILE`) and returns its path. */
export function writeConfigFile(dir: string, json: Record<string, unknown>, name = "config.json"): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  return path;
}

/** The run, which must have finished (not been stopped). */
export function finished(run: TrainOutcome | undefined): TrainRun {
  if (!run) throw new Error("the command printed help instead of training");
  if (run.interrupted) throw new Error(`the run was stopped at step ${run.step}`);
  return run;
}

/** The step a run directory's checkpoint manifest records. */
export function checkpointStep(out: string): number {
  return (JSON.parse(readFileSync(join(out, "checkpoint", "checkpoint.json"), "utf8")) as { step: number }).step;
}

/**
 * The steps of the training records in a run's metrics.jsonl, in file order. A last line without
 * its newline is a record still being written by a running process, and is left out.
 */
export function metricSteps(out: string): number[] {
  const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n");
  return lines
    .slice(0, -1)
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { step: number; loss?: number })
    .filter((r) => r.loss !== undefined)
    .map((r) => r.step);
}

const ci = !!process.env["CI"] && process.env["CI"] !== "false" && process.env["CI"] !== "0";

async function hasAdapter(): Promise<boolean> {
  try {
    await (await WebGpuBackend.create()).dispose();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether WebGPU tests skip: only outside CI, and only when no adapter can be opened (no
 * driver installed). In CI a missing adapter fails those tests rather than skipping them.
 */
export async function skipWebGpu(what: string): Promise<boolean> {
  if (await hasAdapter()) return false;
  if (ci) return false;
  console.warn(`${what} skipped: no WebGPU adapter (install one with: sudo bash scripts/install-webgpu-driver.sh)`);
  return true;
}
