// Node-only helpers of the ONNX backend (they use node:fs), kept off the browser-safe entry.
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { LayerMap, Program, Unfolding } from "@unfold/core";
import { type ExportOptions, exportOnnx } from "./export.js";
import { type FixedPointExportOptions, exportFixedPoint } from "./fixed-point.js";

/** Unfold's version, as @unfold/core (the package that made the program) carries it. */
export function unfoldVersion(): string {
  return (createRequire(import.meta.url)("@unfold/core/package.json") as { version: string }).version;
}

/**
 * Exports `program` and writes the model to `path` atomically: the bytes go to a temporary file
 * in the same directory, which is then renamed over `path`, so a reader never sees half a model.
 * The metadata's `unfoldVersion` defaults to unfoldVersion().
 */
export async function saveOnnx(path: string, program: Program, options: ExportOptions = {}): Promise<Uint8Array> {
  // A saved model names the Unfold version that wrote it unless the caller says otherwise.
  const bytes = exportOnnx(program, { ...options, metadata: { unfoldVersion: unfoldVersion(), ...options.metadata } });
  await writeModel(path, bytes);
  return bytes;
}

/**
 * Exports a fixed-point model (exportFixedPoint: one ONNX Loop to convergence) and writes it to
 * `path` atomically, as saveOnnx does. The metadata's `unfoldVersion` defaults to unfoldVersion().
 */
export async function saveFixedPoint(path: string, model: LayerMap | Unfolding, options: FixedPointExportOptions): Promise<Uint8Array> {
  const bytes = exportFixedPoint(model, { ...options, metadata: { unfoldVersion: unfoldVersion(), ...options.metadata } });
  await writeModel(path, bytes);
  return bytes;
}

/** Writes `bytes` to a temporary file beside `path`, then renames it over `path`. */
async function writeModel(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, bytes, { flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
