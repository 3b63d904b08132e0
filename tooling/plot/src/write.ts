import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes through a temporary file beside the target, then renames it into place: a reader
 * (a browser reloading the figure, a report build) never sees half a file, and a crash leaves
 * the previous version intact. Parent directories are created.
 */
export function writeFileAtomically(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Writes an SVG document atomically, ending it with a newline if it lacks one. */
export function writeSvg(path: string, svg: string): void {
  writeFileAtomically(path, svg.endsWith("\n") ? svg : `${svg}\n`);
}
