// The WebGPU backend joins by passing the one conformance suite, in float32 (its only dtype).
import { describeConformance } from "@unfold/conformance";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";

describeGpu("webgpu conformance", () => describeConformance({ name: "webgpu", create: () => WebGpuBackend.create() }));
