// The CPU backend joins by passing the one conformance suite, in float32 and float64.
import { describeConformance } from "@unfold/conformance";
import { CpuBackend } from "../src/index.js";

describeConformance({ name: "cpu", create: () => new CpuBackend() });
