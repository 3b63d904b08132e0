// Unfold's ONNX backend: programs exported as ONNX models of standard operators and run with
// onnxruntime-web. Browser-safe; writing model files lives in "@unfold/backend-onnx/node".

export { OnnxBackend, type OnnxBackendOptions, type OnnxEngineInfo } from "./backend.js";
export { type OnnxExecutable } from "./executable.js";
export { OnnxTensor, ONNX_BACKEND } from "./tensor.js";
export { type ExecutionProvider } from "./provider.js";
export { exportOnnx, buildOnnxModel, type ExportOptions, type ModelMetadata, type BatchDimOption, type OnnxModel } from "./export.js";
export { exportFixedPoint, type FixedPointExportOptions, type FixedPointMetadata, FIXED_POINT_OUTPUTS, FIXED_POINT_METADATA } from "./fixed-point.js";
export { exportFixedPointModel, type FixedPointModelParts, type FixedPointModelExportOptions } from "./fixed-point-model.js";
export { inspectOnnx, type OnnxModelSummary, type OnnxValueInfo } from "./model/inspect.js";
export { type Dim } from "./model/dim.js";
