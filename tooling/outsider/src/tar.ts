import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** The regular files of a tarball, by path (as npm packs them: "package/dist/index.js"). */
export type TarballFiles = ReadonlyMap<string, Buffer>;

const BLOCK = 512;

/** A NUL-terminated text field of a tar header. */
const field = (header: Buffer, start: number, length: number): string => {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
};

/**
 * Reads a gzipped tar archive (ustar, as npm and pnpm pack) into its regular files. A pax
 * extended header's `path` names the entry after it (names longer than the ustar fields hold).
 */
export function readTarball(path: string): TarballFiles {
  const data = gunzipSync(readFileSync(path));
  const files = new Map<string, Buffer>();
  let paxPath: string | undefined;
  for (let at = 0; at + BLOCK <= data.length; ) {
    const header = data.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = field(header, 156, 1);
    const prefix = field(header, 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const body = data.subarray(at + BLOCK, at + BLOCK + size);
    paxPath = undefined;
    if (type === "x") {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
    } else if (type === "0" || type === "") {
      files.set(name, Buffer.from(body));
    }
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
