import { constants, openSync } from "node:fs";
import { OutputError, describeFsError, fsErrorCode } from "./errors.js";

/**
 * Opens `path` for appending without following a symlink at its last component (O_NOFOLLOW):
 * a link planted at an output path cannot redirect the writes to a file outside the output
 * directory. Creates the file when missing. Returns the file descriptor.
 */
export function openAppendNoFollow(path: string): number {
  // O_NOFOLLOW is 0 where the platform lacks it (Windows); the open then behaves as usual.
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
  try {
    return openSync(path, flags, 0o644);
  } catch (error) {
    if (fsErrorCode(error) === "ELOOP") throw new OutputError(`'${path}' is a symbolic link; Unfold does not write through links in an output directory (remove it)`);
    throw new OutputError(`cannot open '${path}' for appending: ${describeFsError(error)}`);
  }
}
