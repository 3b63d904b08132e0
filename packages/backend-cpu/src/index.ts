// The WebAssembly types the declarations name, merged into lib.dom's where it is loaded.
import "./wasm-globals.js";
export { CpuBackend, type CpuBackendOptions } from "./backend.js";
export { CpuTensor } from "./tensor.js";
export { Arena } from "./memory.js";
export { type GemmCall } from "./steps/calls.js";
export { type MatmulEngine } from "./steps/matrix-engine.js";
export { type CpuExecutable, type StepProfile } from "./executable.js";
