import { describeFsError, prepareOutputFile } from "@unfold/files";

/**
 * The file --plot names, checked before any work starts: a path (not empty), not a directory,
 * in a directory that exists or can be made and that takes a new file. Absolute.
 */
export function plotFileFlag(value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new Error("--plot needs a file path");
  return prepareOutputFile(value, "--plot");
}

/** Runs a write of a file the user named through `label`, turning a file-system failure into an error naming it and the path. */
export function writingFor(label: string, path: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (typeof (error as { code?: unknown } | null)?.code !== "string") throw error;
    throw new Error(`${label}: cannot write '${path}': ${describeFsError(error)}`, { cause: error });
  }
}
