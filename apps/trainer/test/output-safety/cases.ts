import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type CommandResult, runCommand } from "@unfold/testing";
import type { CommandIO } from "@unfold/cli";
import { TrainerConfig, train } from "../../src/index.js";
import { quiet, tempDir, tinyConfigJson, writeConfigFile } from "../helpers/trainer.js";

/**
 * Bad input to `pnpm train` about where it writes and what it resumes: each case must fail
 * before any training, with an error naming what the user gave (the flag, the config file and
 * field, the directory, the checkpoint file and field) and, where there is one, the limit.
 */

/** What a case runs with: the command (in this process), and the entry point (as a real process). */
export interface Trainer {
  readonly trainCommand: (args: string[], io: CommandIO, options?: { progressStream?: typeof quiet }) => Promise<unknown>;
  readonly script: string;
}

export interface OutputCase {
  readonly area: string;
  readonly name: string;
  /** Runs the case; resolves with the error message, or undefined when the command succeeded. */
  readonly run: (trainer: Trainer) => Promise<string | undefined>;
  /** What the message must contain. */
  readonly names: readonly string[];
  /** Checked after the failure: what must (not) have happened on disk. */
  readonly after?: () => void;
}

const io: CommandIO = { out: () => undefined, progress: () => undefined };

/** A command in this process: its error's message, or undefined. */
async function inProcess(trainer: Trainer, args: readonly string[]): Promise<string | undefined> {
  try {
    await trainer.trainCommand([...args], io, { progressStream: quiet });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return undefined;
}

/**
 * A command as a real process, for paths where a regression would hang (a recursive mkdir under
 * /proc spins forever and would freeze this thread). The message is the `error:` line; a hang
 * is reported as one.
 */
async function asProcess(trainer: Trainer, args: readonly string[]): Promise<string | undefined> {
  const result: CommandResult = await runCommand(trainer.script, args, { timeoutMs: 60_000 });
  if (result.timedOut) return "HANG: the command was still running after 60 s";
  const line = result.stderr.split("\n").find((l) => l.startsWith("error: "));
  if (result.code === 0) return undefined;
  return line ? line.slice("error: ".length) : `exit ${result.code}: ${result.stderr.trim().split("\n").at(-1) ?? ""}`;
}

/** A fresh directory for one case, and a config file in it for a tiny run. */
function caseDir(extra: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = tempDir("unfold-out-case-");
  return { dir, config: writeConfigFile(dir, { ...tinyConfigJson(), ...extra }) };
}

let template: string | undefined;
/** A copy of a run stopped at step 2 (checkpoint, metrics), made once and copied per case. */
async function savedRun(): Promise<string> {
  if (!template) {
    const dir = join(tempDir("unfold-out-template-"), "run");
    await train(TrainerConfig.parse({ ...tinyConfigJson(), out: dir }), { stopAtStep: 2, progressStream: quiet });
    template = dir;
  }
  const copy = join(tempDir("unfold-out-case-"), "run");
  cpSync(template, copy, { recursive: true });
  return copy;
}

const manifestOf = (run: string): string => join(run, "checkpoint", "checkpoint.json");
const readManifest = (run: string): Record<string, unknown> & { state: Record<string, unknown> } => JSON.parse(readFileSync(manifestOf(run), "utf8"));
const writeManifest = (run: string, value: unknown): void => writeFileSync(manifestOf(run), typeof value === "string" ? value : JSON.stringify(value));

/** A saved run whose manifest `edit` changed; the case resumes it. */
function damagedManifest(name: string, edit: (m: ReturnType<typeof readManifest>) => unknown, names: (run: string) => string[]): OutputCase {
  let run = "";
  return {
    area: "--resume of a damaged checkpoint",
    name,
    run: async (trainer) => {
      run = await savedRun();
      writeManifest(run, edit(readManifest(run)));
      return inProcess(trainer, ["--resume", "--out", run]);
    },
    get names() {
      return names(run);
    },
  };
}

/** A saved run whose tensor file `kind` was changed by `edit`; the case resumes it. */
function damagedTensors(name: string, kind: "weights" | "optimizer", edit: (path: string, bytes: Buffer) => void, what: string): OutputCase {
  let path = "";
  return {
    area: "--resume of a damaged checkpoint",
    name,
    run: async (trainer) => {
      const run = await savedRun();
      path = join(run, "checkpoint", `${kind}-2.safetensors`);
      edit(path, readFileSync(path));
      return inProcess(trainer, ["--resume", "--out", run]);
    },
    get names() {
      return [path, what];
    },
  };
}

/** Every case; directories are made when a case runs. */
export function outputCases(): OutputCase[] {
  const cases: OutputCase[] = [];
  const add = (c: OutputCase): void => void cases.push(c);
  let dir = "";
  let config = "";
  let run = "";
  let outside = "";
  /** A case whose names depend on the directory it made. */
  const dynamic = (area: string, name: string, prepare: () => Promise<readonly string[]> | readonly string[], names: () => string[], via: "process" | "command" = "command", after?: () => void): void => {
    let expected: string[] = [];
    add({
      area,
      name,
      run: async (trainer) => {
        const args = await prepare();
        expected = names();
        return via === "process" ? asProcess(trainer, args) : inProcess(trainer, args);
      },
      get names() {
        return expected;
      },
      ...(after ? { after } : {}),
    });
  };

  // --out and the config's out: unwritable or impossible, named at once.
  const out = "--out that cannot be written";
  dynamic(out, "--out /proc/x (a recursive mkdir spins there forever)", () => (({ dir, config } = caseDir()), ["--config", config, "--out", "/proc/x"]), () => ["--out", "/proc/x"], "process");
  dynamic(out, "--out /proc/x/deeper/run", () => (({ dir, config } = caseDir()), ["--config", config, "--out", "/proc/x/deeper/run"]), () => ["--out", "/proc/x"], "process");
  dynamic(out, "--out /proc/self (exists, not writable)", () => (({ dir, config } = caseDir()), ["--config", config, "--out", "/proc/self"]), () => ["--out", "/proc/self", "cannot write"]);
  dynamic(out, "--out under /sys (read-only)", () => (({ dir, config } = caseDir()), ["--config", config, "--out", "/sys/unfold-run"]), () => ["--out", "/sys/unfold-run"]);
  dynamic(out, "--out an existing regular file", () => {
    ({ dir, config } = caseDir());
    writeFileSync(join(dir, "a-file"), "x");
    return ["--config", config, "--out", join(dir, "a-file")];
  }, () => ["--out", join(dir, "a-file"), "not a directory"]);
  dynamic(out, "--out a path under a regular file", () => {
    ({ dir, config } = caseDir());
    writeFileSync(join(dir, "a-file"), "x");
    return ["--config", config, "--out", join(dir, "a-file", "run")];
  }, () => ["--out", join(dir, "a-file"), "is a file, not a directory"]);
  dynamic(out, "--out a dangling symlink", () => {
    ({ dir, config } = caseDir());
    symlinkSync(join(dir, "nowhere"), join(dir, "link"));
    return ["--config", config, "--out", join(dir, "link")];
  }, () => ["--out", join(dir, "link")]);
  dynamic(out, "config field out /proc/x", () => (({ dir, config } = caseDir({ out: "/proc/x" })), ["--config", config]), () => [config, "field out", "/proc/x"], "process");
  dynamic(out, "config field out an existing regular file", () => {
    const made = caseDir({});
    dir = made.dir;
    writeFileSync(join(dir, "a-file"), "x");
    config = writeConfigFile(dir, { ...tinyConfigJson(), out: join(dir, "a-file") });
    return ["--config", config];
  }, () => [config, "field out", join(dir, "a-file")]);
  dynamic(out, "--out whose checkpoint is a regular file", () => {
    ({ dir, config } = caseDir());
    mkdirSync(join(dir, "run"));
    writeFileSync(join(dir, "run", "checkpoint"), "x");
    return ["--config", config, "--out", join(dir, "run")];
  }, () => ["--out", join(dir, "run", "checkpoint"), "is a file"]);
  dynamic(out, "--out whose checkpoint directory is a symlink out of it", () => {
    ({ dir, config } = caseDir());
    mkdirSync(join(dir, "run"));
    mkdirSync(join(dir, "elsewhere"));
    symlinkSync(join(dir, "elsewhere"), join(dir, "run", "checkpoint"));
    return ["--config", config, "--out", join(dir, "run")];
  }, () => ["--out", join(dir, "run", "checkpoint"), "symbolic link"]);

  // A fresh run over an earlier one, --overwrite, --resume without a run.
  const fresh = "starting over an earlier run";
  dynamic(fresh, "a fresh run into an --out that holds a checkpoint", async () => {
    ({ config } = caseDir());
    run = await savedRun();
    return ["--config", config, "--out", run];
  }, () => ["--out", run, "holds the checkpoint of an earlier run (step 2)", "--resume", "--overwrite"], "command", () => {
    if (JSON.parse(readFileSync(manifestOf(run), "utf8")).step !== 2) throw new Error("the earlier checkpoint was replaced");
  });
  dynamic(fresh, "a fresh run whose config's out holds a checkpoint", async () => {
    run = await savedRun();
    ({ config } = caseDir({ out: run }));
    return ["--config", config];
  }, () => [`${config}: field out`, run, "--resume", "--overwrite"]);
  dynamic(fresh, "--resume with --overwrite", async () => ["--resume", "--overwrite", "--out", (run = await savedRun())], () => ["--resume", "--overwrite", `unfold train --resume --out ${run}`]);
  // `pnpm start --resume`: the demo's script gives --config quick --overwrite; the user typed only --resume.
  dynamic(fresh, "pnpm start --resume (the quick demo's --overwrite with --resume)", () => ["--config", "quick", "--overwrite", "--resume"], () => ["--resume", "--overwrite", "`unfold train --config quick --overwrite`", "unfold train --resume --out out/quick"]);
  dynamic(fresh, "--resume into an --out that does not exist", () => (({ dir } = caseDir()), ["--resume", "--out", join(dir, "never")]), () => ["--resume", "--out", join(dir, "never"), "does not exist"]);
  dynamic(fresh, "--resume into an empty --out", () => {
    ({ dir } = caseDir());
    mkdirSync(join(dir, "empty"));
    return ["--resume", "--out", join(dir, "empty")];
  }, () => ["--resume", "no checkpoint", join(dir, "empty")]);
  dynamic(fresh, "--resume of a run killed during its first save (a temp file only)", () => {
    ({ dir } = caseDir());
    mkdirSync(join(dir, "run", "checkpoint"), { recursive: true });
    writeFileSync(join(dir, "run", "checkpoint", ".tmp-weights-0.safetensors.4242.abcd1234"), "partial");
    return ["--resume", "--out", join(dir, "run")];
  }, () => ["--resume", join(dir, "run"), "never completed a checkpoint", ".tmp-weights-0.safetensors.4242.abcd1234"]);
  dynamic(fresh, "--resume of a run killed between its first tensor files and its manifest", () => {
    ({ dir } = caseDir());
    mkdirSync(join(dir, "run", "checkpoint"), { recursive: true });
    writeFileSync(join(dir, "run", "checkpoint", "weights-0.safetensors"), "whole, but no manifest names it");
    return ["--resume", "--out", join(dir, "run")];
  }, () => ["--resume", join(dir, "run"), "never completed a checkpoint", "weights-0.safetensors"]);

  // --resume with flags that would change the saved run.
  const changed = "--resume with changed flags";
  for (const [flag, value] of [["--epochs", "5"], ["--backend", "onnx"], ["--config", "quick"], ["--energy-inputs", "3"]] as const) {
    dynamic(changed, `--resume ${flag} ${value}`, async () => ["--resume", "--out", (run = await savedRun()), flag, value], () => ["--resume", flag]);
  }
  dynamic(changed, "--resume --max-seconds abc", async () => ["--resume", "--out", (run = await savedRun()), "--max-seconds", "abc"], () => ["--max-seconds", "abc"]);

  // The checkpoint's manifest, damaged.
  cases.push(
    damagedManifest("checkpoint.json not JSON", () => '{"format": "unfold-checkpoint", "step": ', (r) => [manifestOf(r), "not valid JSON"]),
    damagedManifest('"state": null', (m) => ({ ...m, state: null }), (r) => [manifestOf(r), 'field "state"', "got null"]),
    damagedManifest("no state", ({ state: _state, ...m }) => m, (r) => [manifestOf(r), 'field "state"']),
    damagedManifest("state without a config", (m) => ({ ...m, state: { ...m.state, config: undefined } }), (r) => [manifestOf(r), 'field "state.config"']),
    damagedManifest("state.config with a bad value", (m) => ({ ...m, state: { ...m.state, config: { ...(m.state["config"] as object), model: { kind: "yang", dim: "wide" } } } }), (r) => [manifestOf(r), 'field "state.config.model.dim"']),
    damagedManifest("state.config with an unknown field", (m) => ({ ...m, state: { ...m.state, config: { ...(m.state["config"] as object), bogus: 1 } } }), (r) => [manifestOf(r), "state.config.bogus"]),
    damagedManifest("state.step that disagrees with step", (m) => ({ ...m, state: { ...m.state, step: 7 } }), (r) => [manifestOf(r), 'field "state.step"', "7"]),
    damagedManifest("state.trainSeconds negative", (m) => ({ ...m, state: { ...m.state, trainSeconds: -1 } }), (r) => [manifestOf(r), 'field "state.trainSeconds"', "-1"]),
    damagedManifest("state.energyBefore not a profile", (m) => ({ ...m, state: { ...m.state, energyBefore: { energies: "many" } } }), (r) => [manifestOf(r), 'field "state.energyBefore"']),
    damagedManifest("a config whose model no longer matches the tensors", (m) => ({ ...m, state: { ...m.state, config: { ...(m.state["config"] as object), model: { kind: "yang", dim: 16, layers: 1, tied: false, head: "flatten" } } } }), (r) => [join(r, "checkpoint", "weights-2.safetensors"), "shape"]),
    damagedManifest("a config whose energyInputs exceed its test split", (m) => ({ ...m, state: { ...m.state, config: { ...(m.state["config"] as object), energyInputs: 500 } } }), (r) => [manifestOf(r), "state.config.energyInputs", "500", "16"]),
    damagedManifest('"format" of another program', (m) => ({ ...m, format: "other" }), (r) => [manifestOf(r), 'field "format"']),
    damagedManifest('"weights.file" pointing out of the directory', (m) => ({ ...m, weights: { ...(m["weights"] as object), file: "../../elsewhere.safetensors" } }), (r) => [manifestOf(r), 'field "weights.file"']),
    damagedTensors("weights file truncated", "weights", (p, b) => writeFileSync(p, b.subarray(0, b.length - 10)), "truncated"),
    damagedTensors("optimizer file with one bit flipped", "optimizer", (p, b) => writeFileSync(p, Buffer.from(b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x)))), "checksum"),
    damagedTensors("weights file missing", "weights", (p) => rmSync(p), "is missing"),
  );
  dynamic("--resume of a damaged checkpoint", "checkpoint.json missing, tensor files present", async () => {
    run = await savedRun();
    rmSync(manifestOf(run));
    return ["--resume", "--out", run];
  }, () => ["--resume", run, "never completed a checkpoint", "weights-2.safetensors"]);

  // Links planted in the output directory are not read or written through.
  const links = "symbolic links in --out";
  dynamic(links, "--resume with checkpoint.json a symlink to a file outside", async () => {
    run = await savedRun();
    outside = join(tempDir("unfold-outside-"), "manifest.json");
    writeFileSync(outside, readFileSync(manifestOf(run)));
    rmSync(manifestOf(run));
    symlinkSync(outside, manifestOf(run));
    return ["--resume", "--out", run];
  }, () => [manifestOf(run), "symbolic link"]);
  dynamic(links, "--resume with the weights file a symlink to a file outside", async () => {
    run = await savedRun();
    const weights = join(run, "checkpoint", "weights-2.safetensors");
    outside = join(tempDir("unfold-outside-"), "weights.safetensors");
    writeFileSync(outside, readFileSync(weights));
    rmSync(weights);
    symlinkSync(outside, weights);
    return ["--resume", "--out", run];
  }, () => [join(run, "checkpoint", "weights-2.safetensors"), "symbolic link"]);
  dynamic(links, "--resume with metrics.jsonl a symlink to a file outside", async () => {
    run = await savedRun();
    outside = join(tempDir("unfold-outside-"), "precious.txt");
    writeFileSync(outside, "not the trainer's\n");
    rmSync(join(run, "metrics.jsonl"));
    symlinkSync(outside, join(run, "metrics.jsonl"));
    return ["--resume", "--out", run];
  }, () => [join(run, "metrics.jsonl"), "symbolic link"], "command", () => {
    if (readFileSync(outside, "utf8") !== "not the trainer's\n") throw new Error(`${outside} was written through the link`);
  });

  // One writer per directory.
  const lock = "a second writer";
  dynamic(lock, "a run into an --out another live process holds", async () => {
    ({ config } = caseDir());
    run = await savedRun();
    // This test process is alive: its lock is held.
    writeFileSync(join(run, ".unfold.lock"), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "unfold train --config quick" }));
    return ["--resume", "--out", run];
  }, () => ["--out", run, `in use by pid ${process.pid}`, "unfold train --config quick"]);
  dynamic(lock, "a run into an --out locked from another host", async () => {
    run = await savedRun();
    writeFileSync(join(run, ".unfold.lock"), JSON.stringify({ pid: 7, host: "elsewhere.example", startedAt: "2026-01-01T00:00:00.000Z" }));
    return ["--resume", "--out", run];
  }, () => ["--out", run, "elsewhere.example", join(run, ".unfold.lock")]);

  // --energy-inputs beyond the test split: refused, not clamped.
  const energy = "--energy-inputs beyond the test split";
  dynamic(energy, "--energy-inputs 5000 with 16 test examples", () => (({ dir, config } = caseDir()), ["--config", config, "--energy-inputs", "5000", "--out", join(dir, "run")]), () => ["--energy-inputs", "5000", "16"]);
  dynamic(energy, "config energyInputs 100 with 16 test examples", () => (({ dir, config } = caseDir({ energyInputs: 100 })), ["--config", config, "--out", join(dir, "run")]), () => [config, "energyInputs", "100", "16"]);
  dynamic(energy, "--energy-inputs 50 with a data file's 8-example test split", () => {
    ({ dir } = caseDir());
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ input: [i % 4, (i + 1) % 4, (i + 2) % 4, (i + 3) % 4], label: i % 2 }));
    writeFileSync(join(dir, "data.jsonl"), `${lines.join("\n")}\n`);
    return ["--data", join(dir, "data.jsonl"), "--dim", "8", "--layers", "1", "--batch-size", "8", "--epochs", "1", "--warmup-steps", "1", "--energy-inputs", "50", "--out", join(dir, "run")];
  }, () => ["--energy-inputs", "50", "8"]);
  return cases;
}
