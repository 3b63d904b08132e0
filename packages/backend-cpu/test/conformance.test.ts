// The CPU backend joins by passing the one conformance suite, in float32 and float64: as it runs
// by default, and with every product threaded, which also makes every chain of batched steps an
// item round (plan/segments.ts) however small its work.
import { describeConformance } from "@unfold/conformance";
import { CpuBackend } from "../src/index.js";

describeConformance({ name: "cpu", create: () => new CpuBackend() });
describeConformance({ name: "cpu, everything threaded", create: () => new CpuBackend({ threads: 2, parallelThreshold: 0 }) });
