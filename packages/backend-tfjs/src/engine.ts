import * as tf from "@tensorflow/tfjs";
import { UnfoldError } from "@unfold/core";
import { TFJS_ENGINES, type TfjsEngine } from "./engines.js";

export type Tf = typeof tf;

/**
 * Whether the engine's sum kernels add a reduction's terms one after another into one float32
 * total, as the wasm engine's do (its softmax and logSumExp too): 2^18 terms near 0.1 come out
 * 3.4e-4 off there, so its long sums are split into short ones first (core's splitLongSums). The
 * cpu engine adds in JavaScript numbers (float64), and the webgpu engine per thread over a
 * workgroup-sized stride and then in a tree: both stay accurate over any length here.
 */
export function sumsSerially(engine: TfjsEngine): boolean {
  return engine === "wasm";
}

let wasmPathsSet = false;

/** In Node the wasm engine cannot find its .wasm files on its own: point it at its package's dist folder. */
async function configureWasm(wasmPaths: string | undefined): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (wasmPathsSet) return;
  let prefix = wasmPaths;
  const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
  if (prefix === undefined && isNode) {
    const { createRequire } = await import("node:module");
    const { dirname, join } = await import("node:path");
    prefix = `${join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`;
  }
  if (prefix !== undefined) wasm.setWasmPaths(prefix);
  wasmPathsSet = true;
}

/**
 * Makes an engine ready: registers and initializes its TensorFlow.js backend. TensorFlow.js is a
 * process-wide singleton with one active backend; `activate` switches to ours before each use.
 */
export async function initEngine(engine: TfjsEngine, wasmPaths: string | undefined): Promise<Tf> {
  if (!TFJS_ENGINES.includes(engine)) throw new UnfoldError("tfjs backend", `unknown engine '${String(engine)}'; choose cpu, wasm or webgpu`);
  if (engine === "webgpu") {
    const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    if (!nav?.gpu) throw new UnfoldError("tfjs backend", "the webgpu engine needs navigator.gpu (a browser with WebGPU); use 'cpu' or 'wasm' here");
    if (!tf.findBackendFactory("webgpu")) {
      throw new UnfoldError("tfjs backend", "the webgpu engine needs @tensorflow/tfjs-backend-webgpu imported first (it registers the backend)");
    }
  }
  if (engine === "wasm") await configureWasm(wasmPaths);
  const previous = tf.getBackend();
  if (!(await tf.setBackend(engine))) throw new UnfoldError("tfjs backend", `TensorFlow.js backend '${engine}' failed to initialize`);
  // Leave the caller's choice of active backend as it was; runs switch for themselves.
  if (previous && previous !== engine) await tf.setBackend(previous);
  return tf;
}

/**
 * Switches TensorFlow.js to `engine`, synchronously: for a backend already initialized,
 * tf.setBackend switches before it returns, so no other run can slip in between this switch and
 * the synchronous op sequence that follows it.
 */
export function activate(engine: TfjsEngine): void {
  if (tf.getBackend() === engine) return;
  void tf.setBackend(engine);
  if (tf.getBackend() !== engine) {
    throw new UnfoldError("tfjs backend", `could not switch TensorFlow.js to '${engine}' synchronously (is another backend still initializing?)`);
  }
}
