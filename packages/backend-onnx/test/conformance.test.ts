// The ONNX backend joins by passing the one conformance suite, in float32 and float64, on
// onnxruntime-web's wasm execution provider.
import type { CompositeKind } from "@unfold/core";
import { type CompositeFusionProbe, describeConformance } from "@unfold/conformance";
import { OnnxBackend, exportOnnx, inspectOnnx } from "../src/index.js";

/** The ONNX operator each fused kind exports as. */
const OPERATORS: Readonly<Record<string, CompositeKind>> = { Softmax: "softmax", LogSoftmax: "logSoftmax", Sigmoid: "sigmoid", LayerNormalization: "layerNorm" };

/** Read from the exported model's operators; LayerNormalization only matches in float32. */
const composites: CompositeFusionProbe = {
  native: (dtype) => (dtype === "float32" ? ["softmax", "logSoftmax", "sigmoid", "layerNorm"] : ["softmax", "logSoftmax", "sigmoid"]),
  fused: (program) =>
    Object.entries(inspectOnnx(exportOnnx(program)).opTypes).flatMap(([op, count]) => (OPERATORS[op] ? new Array<CompositeKind>(count).fill(OPERATORS[op]) : [])),
};

describeConformance({ name: "onnx (wasm)", create: () => new OnnxBackend(), composites });
