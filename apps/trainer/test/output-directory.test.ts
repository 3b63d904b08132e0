import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE, tempPathFor, writeFileAtomic } from "@unfold/files";
import { type InterruptedRun, TrainerConfig, saveCheckpoint, train, trainCommand } from "../src/index.js";
import { captureIO, checkpointStep, finished, metricSteps, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/**
 * What a run does with its output directory besides refusing bad ones (bad-input-output.test.ts):
 * --overwrite replaces exactly the earlier run's files, only once every check has passed; a
 * default energy-input count larger than the test split is lowered and said; links planted at
 * output paths are replaced, never followed out of the directory.
 */

/** Every file of a run directory (the lock aside) with its bytes, to see that nothing changed. */
function snapshot(run: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(run, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === LOCK_FILE) continue;
    const path = join(entry.parentPath, entry.name);
    files[path] = readFileSync(path).toString("base64");
  }
  return files;
}

let template = "";
/** A copy of a run stopped at step 2 of 8. */
function savedRun(): string {
  const copy = join(tempDir("unfold-outdir-"), "run");
  cpSync(template, copy, { recursive: true });
  return copy;
}

beforeAll(async () => {
  template = join(tempDir("unfold-outdir-template-"), "run");
  await train(TrainerConfig.parse({ ...tinyConfigJson(), out: template }), { stopAtStep: 2, progressStream: quiet });
});

describe("--overwrite", () => {
  it("removes the earlier run's checkpoint, metrics, plots and model, keeps other files, and starts fresh", async () => {
    const run = savedRun();
    for (const file of ["loss.svg", "accuracy.svg", "energy.svg", "model.onnx", "model.onnx.sha256", "predict-sample.jsonl"]) writeFileSync(join(run, file), "earlier run");
    writeFileSync(join(run, "checkpoint", "weights-1.safetensors"), "a stale step's file");
    writeFileSync(join(run, "notes.txt"), "the user's own");
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    const io = captureIO();
    finished(await trainCommand(["--config", config, "--out", run, "--overwrite"], io, { progressStream: quiet }));

    const notice = io.progressed.find((m) => m.startsWith("--overwrite: removed the earlier run's"));
    expect(notice).toBe(`--overwrite: removed the earlier run's checkpoint/ (4 files), metrics.jsonl, loss.svg, accuracy.svg, energy.svg, model.onnx, model.onnx.sha256, predict-sample.jsonl from '${run}'`);
    // The new run's files only: its own 4 steps, its own checkpoint and plots; no model (onnx is off), the user's file kept.
    expect(metricSteps(run)).toEqual([1, 2, 3, 4]);
    expect(checkpointStep(run)).toBe(4);
    expect(readdirSync(join(run, "checkpoint")).sort()).toEqual(["checkpoint.json", "optimizer-4.safetensors", "weights-4.safetensors"]);
    expect(readFileSync(join(run, "loss.svg"), "utf8")).toContain("<svg");
    expect(readdirSync(run).sort()).toEqual(["accuracy.svg", "checkpoint", "energy.svg", "loss.svg", "metrics.jsonl", "notes.txt"]);
    expect(readFileSync(join(run, "notes.txt"), "utf8")).toBe("the user's own");
  });

  it("leaves the earlier run whole when the new run's config fails its checks", async () => {
    const run = savedRun();
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { batchSize: 100 } }));
    await expect(trainCommand(["--config", config, "--out", run, "--overwrite"], captureIO(), { progressStream: quiet })).rejects.toThrow("train.batchSize (100) is larger than the training split (64 examples)");
    expect(checkpointStep(run)).toBe(2);
    expect(metricSteps(run)).toEqual([1, 2]);
  });

  it("into a directory without a run is a fresh run", async () => {
    const out = join(tempDir(), "new");
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    const io = captureIO();
    finished(await trainCommand(["--config", config, "--out", out, "--overwrite"], io, { progressStream: quiet }));
    expect(io.progressed.some((m) => m.startsWith("--overwrite"))).toBe(false);
    expect(checkpointStep(out)).toBe(4);
  });
});

describe("a fresh run", () => {
  it("goes ahead where an earlier run left only a torn first save, and sweeps its temp file", async () => {
    const out = join(tempDir(), "run");
    mkdirSync(join(out, "checkpoint"), { recursive: true });
    writeFileSync(join(out, "checkpoint", ".tmp-weights-0.safetensors.4242.abcd1234"), "partial");
    finished(await train(TrainerConfig.parse({ ...tinyConfigJson({ train: { epochs: 1 } }), out }), { progressStream: quiet }));
    expect(readdirSync(join(out, "checkpoint")).sort()).toEqual(["checkpoint.json", "optimizer-4.safetensors", "weights-4.safetensors"]);
  });

  it("lowers a default energy-input count to the test split and says so; the checkpoint records the count used", async () => {
    const out = join(tempDir(), "run");
    const { energyInputs: _unset, ...json } = tinyConfigJson({ train: { epochs: 1 } });
    const config = writeConfigFile(tempDir(), json);
    const io = captureIO();
    const run = finished(await trainCommand(["--config", config, "--out", out], io, { progressStream: quiet }));
    expect(io.progressed).toContain("energy figure: the test split has 16 examples, fewer than the default 200 energy inputs; profiling all 16 (set --energy-inputs to choose)");
    expect(run.energyAfter!.energies).toHaveLength(16);
    const manifest = JSON.parse(readFileSync(join(out, "checkpoint", "checkpoint.json"), "utf8")) as { state: { config: { energyInputs: number } } };
    expect(manifest.state.config.energyInputs).toBe(16);
  });

  it("through the API, refuses an energy-input count its test split cannot supply", async () => {
    const out = join(tempDir(), "run");
    await expect(train(TrainerConfig.parse({ ...tinyConfigJson(), energyInputs: 17, out }), { progressStream: quiet })).rejects.toThrow(
      "config field energyInputs: 17 energy inputs, but the test split has 16 examples; give at most 16",
    );
  });
});

describe("a run stopped before its first step", () => {
  /** Runs the command with `signal`, returning the run, what it printed and the exit status it set (then cleared). */
  async function stoppedCommand(args: string[], signal: AbortSignal): Promise<{ run: InterruptedRun; io: ReturnType<typeof captureIO>; code: typeof process.exitCode }> {
    const io = captureIO();
    try {
      const run = await trainCommand(args, io, { progressStream: quiet, signal });
      if (!run?.interrupted) throw new Error("the run was not stopped");
      return { run, io, code: process.exitCode };
    } finally {
      process.exitCode = undefined;
    }
  }
  const aborted = (reason: string): AbortSignal => AbortSignal.abort(reason);

  it("saves no checkpoint, says the stop it was asked before the stop listener existed, exits 130, and the next plain run into its --out goes ahead", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    const { run, io, code } = await stoppedCommand(["--config", config, "--out", out, "--json"], aborted("SIGINT"));
    expect(code).toBe(130);
    expect(run.saved).toBe(false);
    expect(run.step).toBe(0);
    expect(io.progressed).toContain("SIGINT: stopping before the first step, with nothing to save (Ctrl-C again quits at once)");
    expect(io.lines).toContain(`stopped (SIGINT) before the first step; saved nothing (the files in ${out} are as they were)`);
    expect(io.lines.some((l) => l.startsWith("continue with:"))).toBe(false);
    expect(JSON.parse(io.lines.at(-1)!)).toEqual({ interrupted: true, stop: "SIGINT", step: 0, totalSteps: 4, checkpoint: null, resume: null });
    expect(existsSync(join(out, "checkpoint"))).toBe(false);
    expect(existsSync(join(out, "metrics.jsonl"))).toBe(false);

    finished(await trainCommand(["--config", config, "--out", out], captureIO(), { progressStream: quiet }));
    expect(checkpointStep(out)).toBe(4);
  });

  it("while it prepares (SIGTERM during the data checks): announced when it comes, exits 143, nothing saved", async () => {
    const out = join(tempDir(), "run");
    // No energyInputs: the default is lowered to the test split, and that notice comes before compiling.
    const { energyInputs: _unset, ...json } = tinyConfigJson({ train: { epochs: 1 } });
    const config = writeConfigFile(tempDir(), json);
    const controller = new AbortController();
    const io = captureIO();
    let code: typeof process.exitCode;
    let run;
    try {
      run = await trainCommand(["--config", config, "--out", out], { ...io, progress: (m) => (io.progress(m), m.startsWith("energy figure") && controller.abort("SIGTERM")) }, { progressStream: quiet, signal: controller.signal });
      code = process.exitCode;
    } finally {
      process.exitCode = undefined;
    }
    if (!run?.interrupted) throw new Error("the run was not stopped");
    expect(code).toBe(143);
    expect(run.saved).toBe(false);
    expect(io.progressed).toContain("SIGTERM: stopping before the first step, with nothing to save (a second SIGTERM quits at once)");
    expect(existsSync(join(out, "checkpoint"))).toBe(false);
  });

  it("resumed: leaves the checkpoint and metrics exactly as they were and says how to continue", async () => {
    const run = savedRun();
    const before = snapshot(run);
    const { run: stopped, io, code } = await stoppedCommand(["--resume", "--out", run], aborted("SIGTERM"));
    expect(code).toBe(143);
    expect(stopped.saved).toBe(false);
    expect(stopped.step).toBe(2);
    expect(io.progressed).toContain("SIGTERM: stopping before the first step, with nothing to save; the checkpoint stays as it was (a second SIGTERM quits at once)");
    expect(io.lines).toContain(`stopped (SIGTERM) before the first step; the checkpoint (step 2/8) is as it was: ${join(run, "checkpoint")}`);
    expect(io.lines).toContain(`continue with: unfold train --resume --out ${run}`);
    expect(snapshot(run)).toEqual(before);
  });

  it("through the API, stopAtStep at the resumed step saves nothing either", async () => {
    const run = savedRun();
    const before = snapshot(run);
    const stopped = await train(TrainerConfig.parse({ ...tinyConfigJson(), out: run }), { resume: true, stopAtStep: 2, progressStream: quiet });
    expect(stopped.interrupted && stopped.saved).toBe(false);
    expect(snapshot(run)).toEqual(before);
  });
});

describe("a run killed during its first save", () => {
  it("leaves no checkpoint; --resume says the run never completed one, naming the directory, and removes what the save left", async () => {
    const out = join(tempDir(), "run");
    const dir = join(out, "checkpoint");
    // The save dies while writing its second file (the optimizer's): its temp file stays, as after a SIGKILL.
    let writes = 0;
    const dying = async (path: string, bytes: Uint8Array): Promise<void> => {
      if (++writes === 2) {
        writeFileSync(tempPathFor(path), bytes.subarray(0, 16));
        throw new Error("killed");
      }
      await writeFileAtomic(path, bytes);
    };
    const tensor = { data: new Float32Array(4), shape: [4] };
    await expect(saveCheckpoint(dir, { step: 0, weights: { w: tensor }, optimizer: { "m.w": tensor }, state: {} }, { writeFile: dying })).rejects.toThrow("killed");
    const left = readdirSync(dir).sort();
    expect(left).toHaveLength(2);
    expect(left[0]).toMatch(/^\.tmp-optimizer-0\.safetensors\./);
    expect(left[1]).toBe("weights-0.safetensors");

    const error = await trainCommand(["--resume", "--out", out], captureIO(), { progressStream: quiet }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      `--resume: the run in '${out}' never completed a checkpoint (it was stopped during its first save), so there is nothing to continue; ` +
        `removed its unfinished files ${left.join(", ")} from '${dir}'; start the run again without --resume`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("links planted in the output directory", () => {
  /** A file outside the run directory, and a link to it at `path`. */
  function plant(path: string): string {
    const outside = join(tempDir("unfold-outside-"), "precious.txt");
    writeFileSync(outside, "not the trainer's\n");
    symlinkSync(outside, path);
    return outside;
  }

  it("metrics.jsonl and the plots: a fresh run replaces the links and leaves their targets alone", async () => {
    const out = join(tempDir(), "run");
    mkdirSync(out);
    const targets = ["metrics.jsonl", "loss.svg", "accuracy.svg", "energy.svg"].map((f) => [f, plant(join(out, f))] as const);
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    finished(await trainCommand(["--config", config, "--out", out], captureIO(), { progressStream: quiet }));
    for (const [file, outside] of targets) {
      expect(readFileSync(outside, "utf8"), `${file}'s target`).toBe("not the trainer's\n");
      expect(lstatSync(join(out, file)).isSymbolicLink(), file).toBe(false);
    }
    expect(metricSteps(out)).toEqual([1, 2, 3, 4]);
  });

  it("checkpoint files: a resumed run's save replaces a link at the name it writes, and a rewritten metrics file is a new file", async () => {
    const run = savedRun();
    // Step 4's save (once an epoch) writes these names first.
    const weights = plant(join(run, "checkpoint", "weights-4.safetensors"));
    const optimizer = plant(join(run, "checkpoint", "optimizer-4.safetensors"));
    finished(await train(TrainerConfig.parse({ ...tinyConfigJson(), out: run }), { resume: true, progressStream: quiet }));
    expect(readFileSync(weights, "utf8")).toBe("not the trainer's\n");
    expect(readFileSync(optimizer, "utf8")).toBe("not the trainer's\n");
    expect(checkpointStep(run)).toBe(8);
    expect(readdirSync(join(run, "checkpoint")).sort()).toEqual(["checkpoint.json", "optimizer-8.safetensors", "weights-8.safetensors"]);
    expect(metricSteps(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("--overwrite unlinks links at the earlier run's files, never their targets", async () => {
    const run = savedRun();
    rmSync(join(run, "metrics.jsonl"));
    const metricsTarget = plant(join(run, "metrics.jsonl"));
    const modelTarget = plant(join(run, "model.onnx"));
    const config = writeConfigFile(tempDir(), tinyConfigJson({ train: { epochs: 1 } }));
    finished(await trainCommand(["--config", config, "--out", run, "--overwrite"], captureIO(), { progressStream: quiet }));
    expect(readFileSync(metricsTarget, "utf8")).toBe("not the trainer's\n");
    expect(readFileSync(modelTarget, "utf8")).toBe("not the trainer's\n");
    expect(existsSync(join(run, "model.onnx"))).toBe(false);
  });
});
