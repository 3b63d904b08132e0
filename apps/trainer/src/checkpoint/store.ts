import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { UnfoldError } from "@unfold/core";
import { fsErrorCode, makeDirectory, symlinkRefused } from "@unfold/files";
import { TEMP_PREFIX, writeFileDurably } from "./durable.js";
import { MANIFEST_FORMAT, MANIFEST_NAME, MANIFEST_VERSION, type Manifest, type TensorFileEntry, validateManifest, type NamedTensor, decodeSafetensors, encodeSafetensors } from "@unfold/training";

export interface Checkpoint {
  readonly step: number;
  readonly weights: Record<string, NamedTensor>;
  readonly optimizer: Record<string, NamedTensor>;
  /** JSON: config, optimizer hyper-state, rng/epoch cursor, metrics summary. */
  readonly state: unknown;
}

/** A loaded checkpoint and the files it came from, for messages that name them. */
export interface LoadedCheckpoint extends Checkpoint {
  readonly files: { readonly manifest: string; readonly weights: string; readonly optimizer: string };
}

export interface SaveOptions {
  /**
   * How a file is replaced; by default temp file + fsync + rename. Tests inject a writer that
   * fails at a chosen point to check that a failed save leaves the previous checkpoint intact.
   */
  readonly writeFile?: (path: string, bytes: Uint8Array) => Promise<void>;
}

/** Tensor files this module writes: weights-<step>.safetensors, or with a -b suffix when re-saving a step. */
const STEP_FILE = /^(weights|optimizer)-\d+(-b)?\.safetensors$/;

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens checkpoint files without following a symlink (O_NOFOLLOW): a link planted in the
 * checkpoint directory must not make a load read, or a save trust, a file outside it.
 */
const READ_NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** Why a checkpoint file could not be read, in words. */
function readFailure(path: string, error: unknown): string {
  if (fsErrorCode(error) === "ELOOP") return symlinkRefused(path).message;
  return `cannot read ${path}: ${message(error)}`;
}

async function readManifestIfAny(dir: string): Promise<Manifest | undefined> {
  try {
    return validateManifest(JSON.parse(await readFile(join(dir, MANIFEST_NAME), { encoding: "utf8", flag: READ_NO_FOLLOW })), join(dir, MANIFEST_NAME));
  } catch {
    return undefined;
  }
}

/**
 * Writes <dir>/weights-<step>.safetensors, <dir>/optimizer-<step>.safetensors, then
 * <dir>/checkpoint.json (pointing at both, with their byte sizes and SHA-256), each via temp
 * file + fsync + rename. The manifest is written last and is the only thing a load trusts, so a
 * crash or an error at any point leaves the previous checkpoint complete and loadable. Then
 * removes every other step's tensor files (older ones, and any a crashed save left behind) and
 * leftover temp files. One writer per directory. Returns the manifest's path.
 */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint, options: SaveOptions = {}): Promise<{ path: string }> {
  const write = options.writeFile ?? writeFileDurably;
  const { step } = checkpoint;
  if (!Number.isSafeInteger(step) || step < 0) throw new UnfoldError("saveCheckpoint", `step must be an integer >= 0, got ${step}`);
  let stateJson: string | undefined;
  try {
    stateJson = JSON.stringify(checkpoint.state ?? null);
  } catch (error) {
    throw new UnfoldError("saveCheckpoint", `state must be JSON-serializable: ${message(error)}`);
  }
  // JSON.stringify returns undefined (no throw) for a function or symbol, which would corrupt the manifest.
  if (stateJson === undefined) throw new UnfoldError("saveCheckpoint", `state must be JSON-serializable, got a ${typeof checkpoint.state}`);
  // Encode before touching the disk, so a bad tensor fails the save without writing anything.
  const meta = { "unfold.step": String(step) };
  const weightBytes = encodeSafetensors(checkpoint.weights, { ...meta, "unfold.kind": "weights" });
  const optimizerBytes = encodeSafetensors(checkpoint.optimizer, { ...meta, "unfold.kind": "optimizer" });

  try {
    // One component at a time: a recursive mkdir never returns on some impossible paths (/proc).
    makeDirectory(dir, `cannot create the checkpoint directory ${dir}`);
  } catch (error) {
    throw new UnfoldError("saveCheckpoint", message(error));
  }
  const previous = await readManifestIfAny(dir);
  // Re-saving the step the current manifest already names must not overwrite the files it
  // points at (a crash in between would leave it pointing at new bytes with old checksums).
  const fileName = (kind: "weights" | "optimizer"): string => {
    const plain = `${kind}-${step}.safetensors`;
    return previous?.[kind].file === plain ? `${kind}-${step}-b.safetensors` : plain;
  };
  const writeTensorFile = async (kind: "weights" | "optimizer", bytes: Uint8Array): Promise<TensorFileEntry> => {
    const file = fileName(kind);
    const path = join(dir, file);
    try {
      await write(path, bytes);
    } catch (error) {
      throw new UnfoldError("saveCheckpoint", `cannot write ${path}: ${message(error)}`);
    }
    return { file, bytes: bytes.length, sha256: sha256(bytes) };
  };
  const weights = await writeTensorFile("weights", weightBytes);
  const optimizer = await writeTensorFile("optimizer", optimizerBytes);

  const manifestPath = join(dir, MANIFEST_NAME);
  const manifest = `{"format":${JSON.stringify(MANIFEST_FORMAT)},"version":${MANIFEST_VERSION},"step":${step},"weights":${JSON.stringify(weights)},"optimizer":${JSON.stringify(optimizer)},"state":${stateJson}}\n`;
  try {
    await write(manifestPath, new TextEncoder().encode(manifest));
  } catch (error) {
    throw new UnfoldError("saveCheckpoint", `cannot write ${manifestPath}: ${message(error)}`);
  }

  await removeStaleFiles(dir, new Set([weights.file, optimizer.file]));
  return { path: manifestPath };
}

async function removeStaleFiles(dir: string, keep: ReadonlySet<string>): Promise<void> {
  // Best effort: the new checkpoint is complete already, and a file that cannot be removed now
  // is retried by the next save; failing a training run over disk hygiene would be worse.
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (keep.has(name) || !(STEP_FILE.test(name) || name.startsWith(TEMP_PREFIX))) continue;
    await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}

/** Loads the checkpoint checkpoint.json names, verifying each tensor file's size and checksum. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const fail = (detail: string): never => {
    throw new UnfoldError("loadCheckpoint", detail);
  };
  try {
    if (!(await stat(dir)).isDirectory()) fail(`${dir} is not a directory`);
  } catch (error) {
    if (error instanceof UnfoldError) throw error;
    fail((error as NodeJS.ErrnoException).code === "ENOENT" ? `checkpoint directory ${dir} does not exist` : `cannot read ${dir}: ${message(error)}`);
  }
  const manifestPath = join(dir, MANIFEST_NAME);
  let text = "";
  try {
    text = await readFile(manifestPath, { encoding: "utf8", flag: READ_NO_FOLLOW });
  } catch (error) {
    fail(fsErrorCode(error) === "ENOENT" ? `no checkpoint in ${dir}: ${MANIFEST_NAME} is missing` : readFailure(manifestPath, error));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`${manifestPath} is not valid JSON (${message(error)})`);
  }
  const manifest = validateManifest(parsed, manifestPath);

  const readTensors = async (kind: "weights" | "optimizer"): Promise<Record<string, NamedTensor>> => {
    const entry = manifest[kind];
    const path = join(dir, entry.file);
    let bytes = new Uint8Array(0);
    try {
      bytes = await readFile(path, { flag: READ_NO_FOLLOW });
    } catch (error) {
      fail(fsErrorCode(error) === "ENOENT" ? `${path}, the ${kind} file ${manifestPath} names, is missing` : readFailure(path, error));
    }
    if (bytes.length !== entry.bytes) fail(`${path} has ${bytes.length} bytes but ${manifestPath} records ${entry.bytes}: the file is truncated or was replaced`);
    if (sha256(bytes) !== entry.sha256) fail(`${path} does not match the checksum in ${manifestPath}: the file is corrupt or was replaced`);
    return decodeSafetensors(bytes, path).tensors;
  };
  return {
    step: manifest.step,
    weights: await readTensors("weights"),
    optimizer: await readTensors("optimizer"),
    state: manifest.state,
    files: { manifest: manifestPath, weights: join(dir, manifest.weights.file), optimizer: join(dir, manifest.optimizer.file) },
  };
}
