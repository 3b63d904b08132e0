import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fsErrorCode } from "./errors.js";
import { writeFileAtomic } from "./atomic.js";

/** The checksum file written beside `path`: `<path>.sha256`, in `sha256sum`'s format. */
export const checksumPathFor = (path: string): string => `${path}.sha256`;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Writes `<path>.sha256` for the bytes just written to `path`, in the format `sha256sum -c`
 * reads ("<hex>  <name>"), so a copied or damaged model file can be told from the one the
 * command wrote, with Unfold or with coreutils.
 */
export async function writeChecksum(path: string, bytes: Uint8Array): Promise<string> {
  const file = checksumPathFor(path);
  await writeFileAtomic(file, `${sha256Hex(bytes)}  ${basename(path)}\n`);
  return file;
}

export type ChecksumResult = { readonly status: "match" } | { readonly status: "absent" } | { readonly status: "mismatch"; readonly expected: string; readonly actual: string };

/**
 * Checks `bytes` (read from `path`) against `<path>.sha256` when that file exists. "absent"
 * when there is none (a model from elsewhere); a checksum file that is not in sha256sum's
 * format is an error naming it.
 */
export function verifyChecksum(path: string, bytes: Uint8Array): ChecksumResult {
  const file = checksumPathFor(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (fsErrorCode(error) === "ENOENT") return { status: "absent" };
    throw error;
  }
  const expected = /^([0-9a-f]{64})\s/i.exec(text)?.[1]?.toLowerCase();
  if (!expected) throw new Error(`${file}: not a sha256 checksum file (expected "<64 hex digits>  <name>")`);
  const actual = sha256Hex(bytes);
  return actual === expected ? { status: "match" } : { status: "mismatch", expected, actual };
}
