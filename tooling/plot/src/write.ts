import { dirname } from "node:path";
import { makeDirectory, writeFileAtomicSync } from "@unfold/files";

/**
 * Writes through a temporary file beside the target, then renames it into place: a reader
 * (a browser reloading the figure, a report build) never sees half a file, a crash leaves the
 * previous version intact, and a symlink at the path is replaced, never written through.
 * Missing parent directories are created (without the hang of a recursive mkdir on an
 * impossible path; see @unfold/files).
 */
export function writeFileAtomically(path: string, contents: string): void {
  makeDirectory(dirname(path), `writing '${path}'`);
  writeFileAtomicSync(path, contents);
}

/** Writes an SVG document atomically, ending it with a newline if it lacks one. */
export function writeSvg(path: string, svg: string): void {
  writeFileAtomically(path, svg.endsWith("\n") ? svg : `${svg}\n`);
}
