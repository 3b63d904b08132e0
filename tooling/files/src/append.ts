import { closeSync, constants, openSync, readFileSync } from "node:fs";
import { OutputError, describeFsError, fsErrorCode } from "./errors.js";

// O_NOFOLLOW is 0 where the platform lacks it (Windows); an open then behaves as usual.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * The one refusal for a symbolic link found where Unfold reads or writes its own output; `label`
 * (`--out`) leads it when the link is a path the user's flag named.
 */
export function symlinkRefused(path: string, label?: string): OutputError {
  return new OutputError(`${label ? `${label}: ` : ""}'${path}' is a symbolic link; Unfold does not read or write through links in an output directory (remove it)`);
}

/**
 * Opens `path` for appending without following a symlink at its last component (O_NOFOLLOW):
 * a link planted at an output path cannot redirect the writes to a file outside the output
 * directory. Creates the file when missing. Returns the file descriptor.
 */
export function openAppendNoFollow(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW, 0o644);
  } catch (error) {
    if (fsErrorCode(error) === "ELOOP") throw symlinkRefused(path);
    throw new OutputError(`cannot open '${path}' for appending: ${describeFsError(error)}`);
  }
}

/**
 * Reads an output file Unfold wrote earlier (a run's metrics, a checkpoint's manifest) without
 * following a symlink at its last component. Undefined when the file does not exist.
 */
export function readFileNoFollow(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW);
  } catch (error) {
    const code = fsErrorCode(error);
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw symlinkRefused(path);
    throw new OutputError(`cannot read '${path}': ${describeFsError(error)}`);
  }
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
