// The WebGPU backend joins by passing the one conformance suite, in float32 (its only dtype).
import { type CompositeKind, optimize } from "@unfold/core";
import { type CompositeFusionProbe, describeConformance } from "@unfold/conformance";
import { WebGpuBackend } from "../src/index.js";
import { lower } from "../src/plan/lower.js";
import { describeGpu } from "./gpu.js";

/** Row softmaxes and logsumexps on any axis become one `normalize` kernel each. */
const composites: CompositeFusionProbe = {
  native: () => ["softmax", "logsumexp"],
  fused: (program) =>
    lower(optimize(program), { maxBindings: 8, maxBindingBytes: 134_217_728 }).steps.flatMap((s): CompositeKind[] => (s.spec.kind === "normalize" ? [s.spec.mode] : [])),
};

describeGpu("webgpu conformance", () => describeConformance({ name: "webgpu", create: () => WebGpuBackend.create(), composites }));

// The adapter picks the kernel target (CI's software adapter picks "cpu"); the other target's
// kernels must pass the same suite, so both are run whatever the adapter.
describeGpu("webgpu conformance, gpu kernels", () => describeConformance({ name: "webgpu-gpu-kernels", create: () => WebGpuBackend.create({ target: "gpu" }), composites }));
