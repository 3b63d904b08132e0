// The WebAssembly files onnxruntime-web and TensorFlow.js's wasm engine fetch at run time. Imported
// with Vite's `?url`, they are copied into the built folder (and served by the dev server), so
// `pnpm studio build` is self-contained and no runtime file comes from another origin.
import ortJsepWasm from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url";
import tfjsWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import tfjsWasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import tfjsWasmThreadedSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";

/**
 * The runtime onnxruntime-web's default bundle loads (its WebGPU/JSEP build, which also runs the
 * wasm provider); the bundle carries its JavaScript glue inline, so only the .wasm is fetched.
 */
export const ORT_WASM_URL: string = ortJsepWasm;

/** TensorFlow.js's wasm engine picks one of these by the browser's SIMD and thread support. */
export const TFJS_WASM_URLS: Readonly<Record<string, string>> = {
  "tfjs-backend-wasm.wasm": tfjsWasm,
  "tfjs-backend-wasm-simd.wasm": tfjsWasmSimd,
  "tfjs-backend-wasm-threaded-simd.wasm": tfjsWasmThreadedSimd,
};
