import v8 from "node:v8";

/**
 * Has V8 compile WebAssembly straight with its optimizing compiler. By default V8 starts every
 * module on a baseline compiler (Liftoff) and re-compiles hot functions in the background. The
 * engines share their runtimes (ort-wasm and unfold-onnx one onnxruntime-web module, tfjs-wasm
 * and unfold-tfjs one TensorFlow.js wasm module), so whichever engine runs first would pay for
 * the re-compilation in its timed runs, measured here at up to 5x on the small forward on these
 * shared cores, and the one after it would not. Compiling optimized up front costs a few
 * seconds at startup and makes every row a steady-state figure. Call before any module is
 * compiled: V8 reads the flag when it compiles.
 */
export function compileWasmOptimized(): void {
  v8.setFlagsFromString("--no-liftoff");
}
