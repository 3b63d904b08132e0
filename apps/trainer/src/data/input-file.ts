import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { describeFsError, fsErrorCode } from "@unfold/files";

/**
 * A file the user named (with a flag such as `--onnx`, or a config field) cannot be read. The
 * message leads with that name and gives the full path, so "EISDIR: illegal operation on a
 * directory, read" becomes "--onnx: '/runs/a' is a directory; give an ONNX model file".
 */
export class InputFileError extends Error {
  override readonly name = "InputFileError";
}

/** The error for `path` (given as `label`) that reading or stat-ing it raised. */
function inputFileError(error: unknown, path: string, label: string, what: string): InputFileError {
  const full = resolve(path);
  switch (fsErrorCode(error)) {
    case "ENOENT":
      return new InputFileError(`${label}: no such file '${full}'`);
    case "EISDIR":
      return new InputFileError(`${label}: '${full}' is a directory; give ${what}`);
    default:
      return new InputFileError(`${label}: cannot read '${full}': ${describeFsError(error)}`);
  }
}

/**
 * Checks that `path` is a file that exists, before any work starts; `what` says what it should
 * be ("a JSONL or CSV data file"). Reading it later still reports its own errors.
 */
export function checkInputFile(path: string, label: string, what: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw inputFileError(error, path, label, what);
  }
  if (isDirectory) throw new InputFileError(`${label}: '${resolve(path)}' is a directory; give ${what}`);
}

/** The bytes of the file `path`, with errors that name `label` (see InputFileError). */
export function readInputFile(path: string, label: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw inputFileError(error, path, label, what);
  }
}
