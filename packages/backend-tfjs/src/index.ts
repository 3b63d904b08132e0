// Unfold's TensorFlow.js backend: programs lowered to TensorFlow.js ops on its cpu, wasm or
// webgpu engine, float32 only.

export { TfjsBackend, type TfjsBackendOptions } from "./backend.js";
export { type TfjsExecutable } from "./executable.js";
export { TfjsTensor } from "./tensor.js";
export { type TfjsEngine, TFJS_ENGINES } from "./engines.js";
