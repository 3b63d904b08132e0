import { TEMP_PREFIX, writeFileAtomic } from "@unfold/files";

/** Prefix of in-progress files, so a later save can sweep the leftovers of a crashed one. */
export { TEMP_PREFIX };

/**
 * Replaces `path` with `bytes` so that after a crash at any moment the file holds either its old
 * or its new contents, never a mixture: write a temp file in the same directory, fsync it, rename
 * it over the target (atomic within one file system; a symlink at `path` is replaced, never
 * followed), then fsync the directory so the rename itself is durable.
 */
export function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  return writeFileAtomic(path, bytes, { durable: true });
}
