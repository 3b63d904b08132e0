// The WebGPU backend joins by passing the one conformance suite, in float32 (its only dtype).
import { describeConformance } from "@unfold/conformance";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";

describeGpu("webgpu conformance", () => describeConformance({ name: "webgpu", create: () => WebGpuBackend.create() }));

// The adapter picks the kernel target (CI's software adapter picks "cpu"); the other target's
// kernels must pass the same suite, so both are run whatever the adapter.
describeGpu("webgpu conformance, gpu kernels", () => describeConformance({ name: "webgpu-gpu-kernels", create: () => WebGpuBackend.create({ target: "gpu" }) }));
