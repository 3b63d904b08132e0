// The execution providers, apart from the module that loads onnxruntime-web: the public
// declarations name them, and must not load onnxruntime-web's types (which need lib.dom).
import { UnfoldError } from "@unfold/core";

/** Where onnxruntime-web runs a session: its WebAssembly CPU provider, or WebGPU in a browser. */
export type ExecutionProvider = "wasm" | "webgpu";

/** Fails clearly where the provider cannot exist, rather than deep inside session creation. */
export function checkProvider(provider: ExecutionProvider): void {
  if (provider === "webgpu") {
    const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    if (!nav?.gpu) throw new UnfoldError("onnx backend", "the webgpu execution provider needs navigator.gpu (a browser with WebGPU); use 'wasm' here");
    return;
  }
  if (provider !== "wasm") throw new UnfoldError("onnx backend", `unknown execution provider '${String(provider)}'; choose 'wasm' or 'webgpu'`);
}
