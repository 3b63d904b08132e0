import { writeFileAtomicSync, writingTo } from "@unfold/files";

/**
 * Writes a report file atomically into a folder the command prepared (prepareOutputDirectory);
 * a file-system failure is an error naming what the user gave (`label`, e.g. --out) and the path.
 */
export function writeOutputFile(label: string, path: string, contents: string): void {
  writingTo(label, path, () => writeFileAtomicSync(path, contents));
}
