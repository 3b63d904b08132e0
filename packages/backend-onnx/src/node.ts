// Node-only helpers of the ONNX backend (they use node:fs), kept off the browser-safe entry.
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Program } from "@unfold/core";
import { type ExportOptions, exportOnnx } from "./export.js";

/**
 * Exports `program` and writes the model to `path` atomically: the bytes go to a temporary file
 * in the same directory, which is then renamed over `path`, so a reader never sees half a model.
 */
export async function saveOnnx(path: string, program: Program, options: ExportOptions = {}): Promise<Uint8Array> {
  const bytes = exportOnnx(program, options);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, bytes, { flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return bytes;
}
