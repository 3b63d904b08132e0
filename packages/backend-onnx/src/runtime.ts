import { UnfoldError } from "@unfold/core";
import type * as Ort from "onnxruntime-web";

export type OrtModule = typeof Ort;

let ortModule: Promise<OrtModule> | undefined;
let configuredThreads: number | undefined;

/**
 * Loads onnxruntime-web once per process. Its WebAssembly runtime is a process-wide singleton
 * whose thread count is fixed when the first session starts, so one count holds for all: a count
 * already in `ort.env.wasm.numThreads` (set by the application or another library, or fixed by a
 * session already started) is adopted, else the first caller's, else 1. A later, different
 * request is an error rather than silently ignored.
 */
export async function loadOrt(threads: number | undefined): Promise<OrtModule> {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new UnfoldError("onnx backend", `threads must be a positive integer, got ${threads}`);
  }
  ortModule ??= import("onnxruntime-web").then((ort) => {
    ort.env.logLevel = "error";
    // Threads beyond one need cross-origin isolation in a browser; ORT falls back to one there.
    configuredThreads = presetThreads(ort) ?? threads ?? 1;
    ort.env.wasm.numThreads = configuredThreads;
    return ort;
  });
  const ort = await ortModule;
  if (threads !== undefined && configuredThreads !== threads) {
    throw new UnfoldError("onnx backend", `onnxruntime-web already runs with ${configuredThreads} thread(s) in this process; it cannot switch to ${threads}`);
  }
  return ort;
}

/** The thread count someone else gave onnxruntime-web before us (ORT leaves it unset until its first session). */
function presetThreads(ort: OrtModule): number | undefined {
  const n = ort.env.wasm.numThreads;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}
