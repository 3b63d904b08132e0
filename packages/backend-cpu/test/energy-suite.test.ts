// Every zoo energy on the CPU backend, in float32 and float64, against the float64 reference and
// under a throwing guard: as it runs by default, and with every product threaded.
import { describeEnergySuite } from "@unfold/conformance/energies";
import { CpuBackend } from "../src/index.js";

describeEnergySuite({ name: "cpu", create: () => new CpuBackend() });
describeEnergySuite({ name: "cpu, everything threaded", create: () => new CpuBackend({ threads: 2, parallelThreshold: 0 }) });
