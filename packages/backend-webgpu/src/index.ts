// Unfold's WebGPU backend: programs compiled to WGSL, on Dawn in Node or navigator.gpu in a browser.
// The WebGPU types the declarations name, merged into lib.dom's or @webgpu/types' where loaded.
import "./webgpu-globals.js";
export { WebGpuBackend, type WebGpuStats } from "./backend.js";
export { type WebGpuBackendOptions } from "./device.js";
export { type KernelTarget } from "./codegen/common.js";
export { type WebGpuExecutable } from "./executable.js";
export { WebGpuTensor } from "./tensor.js";
export { type PoolStats } from "./pool.js";
export { type PipelineStats } from "./pipelines.js";
export { INSTALL_DRIVER_HINT } from "./errors.js";
