import { describeFsError, writeFileAtomicSync } from "@unfold/files";

/**
 * Writes a report file atomically into a folder the command prepared (prepareOutputDirectory),
 * turning a file-system failure (a full disk, a folder removed meanwhile) into an error naming
 * what the user gave (`label`, e.g. --out) and the path.
 */
export function writeOutputFile(label: string, path: string, contents: string): void {
  try {
    writeFileAtomicSync(path, contents);
  } catch (error) {
    if (typeof (error as { code?: unknown } | null)?.code !== "string") throw error;
    throw new Error(`${label}: cannot write '${path}': ${describeFsError(error)}`, { cause: error });
  }
}
