import { UnfoldError } from "@unfold/core";

/** checkpoint.json: the one file that says which tensor files make up the current checkpoint. */
export const MANIFEST_NAME = "checkpoint.json";
/** checkpoint.json's `format` field. */
export const MANIFEST_FORMAT = "unfold-checkpoint";
/** The checkpoint.json version this code writes and reads. */
export const MANIFEST_VERSION = 1;

/** One tensor file of a checkpoint, as checkpoint.json lists it. */
export interface TensorFileEntry {
  /** A file name inside the checkpoint directory (never a path). */
  readonly file: string;
  readonly bytes: number;
  /** SHA-256 of the file, lowercase hex. */
  readonly sha256: string;
}

/** checkpoint.json: the step, the weights and optimizer files, and the trainer's own state. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: number;
  readonly step: number;
  readonly weights: TensorFileEntry;
  readonly optimizer: TensorFileEntry;
  readonly state: unknown;
}

/** Checks a parsed checkpoint.json; `where` (its path) starts every message. */
export function validateManifest(value: unknown, where: string): Manifest {
  const fail = (detail: string): never => {
    throw new UnfoldError("loadCheckpoint", `${where}: ${detail}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("must be a JSON object");
  const m = value as Record<string, unknown>;
  if (m["format"] !== MANIFEST_FORMAT) fail(`field "format" must be ${JSON.stringify(MANIFEST_FORMAT)}, got ${JSON.stringify(m["format"])}; this is not an Unfold checkpoint`);
  if (m["version"] !== MANIFEST_VERSION) fail(`field "version" is ${JSON.stringify(m["version"])}; this build reads version ${MANIFEST_VERSION}`);
  const step = m["step"];
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) fail(`field "step" must be an integer >= 0, got ${JSON.stringify(step)}`);
  const entry = (key: "weights" | "optimizer"): TensorFileEntry => {
    const e = m[key] as Record<string, unknown> | undefined;
    if (typeof e !== "object" || e === null) return fail(`field "${key}" must be {file, bytes, sha256}`);
    const { file, bytes, sha256 } = e;
    // A bare file name only: a manifest must not be able to point outside its directory.
    if (typeof file !== "string" || file === "" || /[/\\]/.test(file) || file === "." || file === "..") fail(`field "${key}.file" must be a file name in the checkpoint directory, got ${JSON.stringify(file)}`);
    if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) fail(`field "${key}.bytes" must be an integer >= 0, got ${JSON.stringify(bytes)}`);
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) fail(`field "${key}.sha256" must be 64 lowercase hex digits, got ${JSON.stringify(sha256)}`);
    return { file: file as string, bytes: bytes as number, sha256: sha256 as string };
  };
  return { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, step: step as number, weights: entry("weights"), optimizer: entry("optimizer"), state: m["state"] ?? null };
}
