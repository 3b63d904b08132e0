// Every zoo energy on the WebGPU backend (float32), against the float64 reference and under a
// throwing guard, with the kernels the adapter picks and with the gpu kernels.
import { describeEnergySuite } from "@unfold/conformance/energies";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";

describeGpu("webgpu energy suite", () => describeEnergySuite({ name: "webgpu", create: () => WebGpuBackend.create() }));
describeGpu("webgpu energy suite, gpu kernels", () => describeEnergySuite({ name: "webgpu-gpu-kernels", create: () => WebGpuBackend.create({ target: "gpu" }) }));
