import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Prefix of in-progress files, so a later writer can recognise and sweep a crashed one's leftovers. */
export const TEMP_PREFIX = ".tmp-";

/** A fresh temp path beside `path` (same directory, so the rename stays on one file system). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}`);
}

export interface AtomicWriteOptions {
  /** fsync the file before the rename and the directory after it, so the new contents survive a power loss. */
  readonly durable?: boolean;
}

/**
 * Replaces `path` with `contents` through a temp file beside it and a rename: a reader never sees
 * half a file, a crash leaves the previous version, and a symlink at `path` is replaced, never
 * followed (the temp file is created exclusively, and rename swaps the directory entry). The
 * directory must exist: callers prepare it once (prepareOutputDirectory) with the flag to blame.
 */
export function writeFileAtomicSync(path: string, contents: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx");
    const bytes = typeof contents === "string" ? Buffer.from(contents) : contents;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    if (options.durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  if (options.durable) syncDirectorySync(dirname(path));
}

/** The asynchronous form of writeFileAtomicSync. */
export async function writeFileAtomic(path: string, contents: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx");
    await handle.writeFile(contents);
    if (options.durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  if (options.durable) syncDirectorySync(dirname(path));
}

function syncDirectorySync(dir: string): void {
  // Some platforms and file systems cannot open or fsync a directory (Windows, some network
  // mounts); there the rename is as durable as the system allows, so failures are ignored.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort; see above.
  }
}
