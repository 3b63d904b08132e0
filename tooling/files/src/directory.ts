import { lstatSync, mkdirSync, openSync, closeSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { OutputError, describeFsError, fsErrorCode } from "./errors.js";

/**
 * Creates `path` and any missing parents, one component at a time.
 *
 * Node's own `mkdir(path, { recursive: true })` never returns on some impossible paths: under
 * /proc every mkdir fails with ENOENT, and the recursive walk retries the parent forever. Walking
 * up to the deepest existing ancestor and creating each missing component with a plain mkdir
 * fails at once instead, with the component that could not be made.
 *
 * `label` names what the user gave (`--out`, `config field out`); it leads every error.
 */
export function makeDirectory(path: string, label: string): string {
  const target = resolve(path);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const kind = statKind(existing, label);
    if (kind === "directory") break;
    if (kind === "other") {
      const what = existing === target ? `'${target}' exists and is not a directory` : `'${existing}' (in '${target}') is a file, not a directory`;
      throw new OutputError(`${label}: cannot use '${target}' as a directory: ${what}`);
    }
    missing.push(existing);
    const parent = dirname(existing);
    if (parent === existing) break; // the root itself is missing: mkdir below reports it
    existing = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Another process may have made it between our look and our mkdir: that is fine.
      if (fsErrorCode(error) === "EEXIST" && statKind(dir, label) === "directory") continue;
      throw new OutputError(`${label}: cannot create directory '${dir}': ${describeFsError(error)}`);
    }
  }
  return target;
}

/**
 * Makes sure a command can write into the directory `path`: creates it (see makeDirectory) and
 * proves it writable by creating and removing a probe file, so a read-only or virtual file
 * system fails before any work is done, not at the first save minutes later.
 */
export function prepareOutputDirectory(path: string, label: string): string {
  const dir = makeDirectory(path, label);
  const probe = join(dir, `.unfold-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(openSync(probe, "wx"));
  } catch (error) {
    throw new OutputError(`${label}: cannot write into '${dir}': ${describeFsError(error)}`);
  }
  rmSync(probe, { force: true });
  return dir;
}

/**
 * Makes sure a command can write the file `path`: its directory is prepared as above, and the
 * path itself is not a directory.
 */
export function prepareOutputFile(path: string, label: string): string {
  const file = resolve(path);
  if (statKind(file, label) === "directory") throw new OutputError(`${label}: '${file}' is a directory; give a file path`);
  prepareOutputDirectory(dirname(file), label);
  return file;
}

/**
 * What is at `path`: nothing, a directory (following symlinks), or something else. `label` leads
 * the error when the path cannot even be looked at (a parent without search permission).
 */
function statKind(path: string, label: string): "missing" | "directory" | "other" {
  try {
    return statSync(path).isDirectory() ? "directory" : "other";
  } catch (error) {
    const code = fsErrorCode(error);
    if (code === "ENOENT") {
      // A dangling symlink is not "missing": mkdir would fail on it with EEXIST.
      try {
        lstatSync(path);
        return "other";
      } catch {
        return "missing";
      }
    }
    // A file stands somewhere above: keep walking up, and the walk names it.
    if (code === "ENOTDIR") return "missing";
    throw new OutputError(`${label}: cannot look at '${path}': ${describeFsError(error)}`);
  }
}
