import { type Stats, lstatSync, readFileSync, readdirSync, rmSync, rmdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { OutputError, TEMP_PREFIX, symlinkRefused, checksumPathFor, describeFsError, fsErrorCode, lockDirectory, prepareOutputDirectory } from "@unfold/files";
import { MANIFEST_NAME } from "@unfold/training";
import { PLOT_FILES } from "../output/plots.js";
import { CRATE_LAYER_FILES } from "../report/crate-layers.js";

/** The files a run writes into its output directory (besides the lock), by what they are. */
export const RUN_FILES = {
  checkpoint: "checkpoint",
  metrics: "metrics.jsonl",
  model: "model.onnx",
  predictSample: "predict-sample.jsonl",
} as const;

/** Tensor and temp files the checkpoint store writes into the checkpoint directory (see checkpoint/store.ts). */
const CHECKPOINT_FILE = /^(weights|optimizer)-\d+(-b)?\.safetensors$/;

/** What a run does with the output directory: start a new run (refused over an earlier one), start over (removing it), or continue it. */
export type RunMode = "fresh" | "overwrite" | "resume";

export interface RunDirectoryOptions {
  /** What the user gave for the directory (`--out`, `quick.json: field out`): every message starts with it. */
  readonly label: string;
  readonly mode: RunMode;
  /** The owner's command line, shown to a second run that finds the directory locked. */
  readonly command?: string;
  /** Told about what was done on the user's behalf: a stale lock taken over, an earlier run removed. */
  readonly notice?: (message: string) => void;
}

/** An output directory this process holds, proven writable, for one run. */
export interface RunDirectory {
  /** The directory's absolute path. */
  readonly dir: string;
  readonly mode: RunMode;
  /**
   * In "overwrite" mode, removes the earlier run's files (checkpoint, metrics, plots and CRATE's
   * layer figures, model export) and returns their names; the caller does this once its own
   * checks have passed, so a mistyped flag never costs the earlier run. Other files in the
   * directory stay.
   */
  removeEarlierRun(): string[];
  /** Throws if another run has taken the lock over (see DirectoryLock.verify): called before each save. */
  verify(): void;
  /** Gives up the lock; idempotent (it also goes with the process). */
  release(): void;
}

/**
 * Prepares `out` for a run and takes its writer's lock, before any data is read or any training
 * starts: the directory is created (never by a recursive mkdir, which hangs on /proc) and proven
 * writable, a second run into it is refused naming the owner, a fresh run over an earlier run's
 * checkpoint is refused (say --resume or --overwrite), and --resume needs a completed checkpoint
 * (a run stopped during its first save left only temp files: they are removed and that is said).
 */
export function openRunDirectory(out: string, options: RunDirectoryOptions): RunDirectory {
  const { label, mode } = options;
  // Continuing needs a run there: do not make an empty directory only to say it holds none.
  if (mode === "resume" && entryKind(resolve(out), label) === "missing") {
    throw new OutputError(`--resume: ${label} '${resolve(out)}' does not exist, so there is no run to continue; start one without --resume`);
  }
  const dir = prepareOutputDirectory(out, label);
  const lock = lockDirectory(dir, { label, ...(options.command ? { command: options.command } : {}), ...(options.notice ? { onReclaim: options.notice } : {}) });
  try {
    const checkpoint = join(dir, RUN_FILES.checkpoint);
    const checkpointKind = entryKind(checkpoint, label);
    if (checkpointKind === "link") throw symlinkRefused(checkpoint, label);
    if (checkpointKind === "file") throw new OutputError(`${label}: '${checkpoint}' is a file, but the run keeps its checkpoint in a directory of that name (move the file away)`);
    const manifest = join(checkpoint, MANIFEST_NAME);
    const hasManifest = checkpointKind === "directory" && entryKind(manifest, label) !== "missing";
    if (mode === "fresh" && hasManifest) {
      const step = savedStep(manifest);
      throw new OutputError(
        `${label}: '${dir}' holds the checkpoint of an earlier run${step === undefined ? "" : ` (step ${step})`}; continue it with --resume, ` +
          `start over with --overwrite (which deletes that run's checkpoint, metrics and plots), or give another --out`,
      );
    }
    if (mode === "resume" && !hasManifest) {
      const leftovers = checkpointKind === "directory" ? removeLeftovers(checkpoint) : [];
      if (leftovers.length) {
        throw new OutputError(
          `--resume: the run in '${dir}' never completed a checkpoint (it was stopped during its first save), so there is nothing to continue; ` +
            `removed its unfinished file${leftovers.length > 1 ? "s" : ""} ${leftovers.join(", ")} from '${checkpoint}'; start the run again without --resume`,
        );
      }
      throw new OutputError(`--resume: no checkpoint in '${dir}' (no run saved one there); start a run without --resume, or give --out the directory of the run to continue`);
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  return {
    dir,
    mode,
    removeEarlierRun: () => {
      if (mode !== "overwrite") return [];
      const removed = removeRunFiles(dir, label);
      if (removed.length) options.notice?.(`--overwrite: removed the earlier run's ${removed.join(", ")} from '${dir}'`);
      return removed;
    },
    verify: () => lock.verify(),
    release: () => lock.release(),
  };
}

/** What is at `path`, not following a symlink. */
function entryKind(path: string, label: string): "missing" | "directory" | "file" | "link" {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if (fsErrorCode(error) === "ENOENT") return "missing";
    throw new OutputError(`${label}: cannot inspect '${path}': ${describeFsError(error)}`);
  }
  return stats.isSymbolicLink() ? "link" : stats.isDirectory() ? "directory" : "file";
}

/** The step an existing manifest records, if it can be read (only for the refusal's message). */
function savedStep(manifest: string): number | undefined {
  try {
    const step = (JSON.parse(readFileSync(manifest, "utf8")) as { step?: unknown }).step;
    return typeof step === "number" ? step : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the temp and tensor files of a save that never wrote its manifest; returns their names. */
function removeLeftovers(checkpoint: string): string[] {
  const names = readdirSync(checkpoint).filter((n) => n.startsWith(TEMP_PREFIX) || CHECKPOINT_FILE.test(n));
  for (const name of names) rmSync(join(checkpoint, name), { force: true });
  return names.sort();
}

/**
 * Removes the files an earlier run wrote (each one unlinked: a symlink goes, its target stays),
 * the checkpoint directory once empty. Returns what was removed, for the notice.
 */
function removeRunFiles(dir: string, label: string): string[] {
  const removed: string[] = [];
  const remove = (path: string, name: string): void => {
    if (entryKind(path, label) === "missing") return;
    try {
      rmSync(path, { force: true });
    } catch (error) {
      throw new OutputError(`--overwrite: cannot remove '${path}': ${describeFsError(error)}`);
    }
    removed.push(name);
  };
  const checkpoint = join(dir, RUN_FILES.checkpoint);
  if (entryKind(checkpoint, label) === "directory") {
    const names = readdirSync(checkpoint).filter((n) => n === MANIFEST_NAME || n.startsWith(TEMP_PREFIX) || CHECKPOINT_FILE.test(n));
    for (const name of names) rmSync(join(checkpoint, name), { force: true });
    try {
      rmdirSync(checkpoint);
    } catch {
      // Files of someone else's stay, and so does the directory holding them.
    }
    if (names.length) removed.push(`${RUN_FILES.checkpoint}/ (${names.length} file${names.length > 1 ? "s" : ""})`);
  }
  // Every figure any model writes, whatever the new run's model: a CRATE run's coding-rate figures
  // must not stay beside another model's run (nor an energy figure beside a CRATE run).
  const figures = [...PLOT_FILES, ...Object.values(CRATE_LAYER_FILES)];
  for (const name of [RUN_FILES.metrics, ...figures, RUN_FILES.model, checksumPathFor(RUN_FILES.model), RUN_FILES.predictSample]) remove(join(dir, name), name);
  return removed;
}
