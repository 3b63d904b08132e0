// The ONNX backend joins by passing the one conformance suite, in float32 and float64, on
// onnxruntime-web's wasm execution provider.
import { describeConformance } from "@unfold/conformance";
import { OnnxBackend } from "../src/index.js";

describeConformance({ name: "onnx (wasm)", create: () => new OnnxBackend() });
