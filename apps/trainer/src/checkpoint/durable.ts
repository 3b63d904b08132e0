import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Prefix of in-progress files, so a later save can sweep the leftovers of a crashed one. */
export const TEMP_PREFIX = ".tmp-";

/**
 * Replaces `path` with `bytes` so that after a crash at any moment the file holds either its old
 * or its new contents, never a mixture: write a temp file in the same directory, fsync it, rename
 * it over the target (atomic within one file system), then fsync the directory so the rename
 * itself is durable.
 */
export async function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx");
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Some platforms and file systems cannot open or fsync a directory (Windows, some network
  // mounts); there the rename is as durable as the system allows, so failures are ignored.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort; see above.
  }
}
