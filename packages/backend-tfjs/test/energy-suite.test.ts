// Every zoo energy on each TensorFlow.js Node engine, in float32 (its only dtype), against the
// float64 reference and under a throwing guard.
import { describeEnergySuite } from "@unfold/conformance/energies";
import { TfjsBackend } from "../src/index.js";

describeEnergySuite({ name: "tfjs (cpu engine)", create: () => new TfjsBackend({ engine: "cpu" }) });
describeEnergySuite({ name: "tfjs (wasm engine)", create: () => new TfjsBackend({ engine: "wasm" }) });
