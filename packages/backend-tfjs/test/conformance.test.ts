// The TensorFlow.js backend joins by passing the one conformance suite on each of its Node
// engines; float64 must be rejected (TensorFlow.js has none).
import { describeConformance } from "@unfold/conformance";
import { TfjsBackend } from "../src/index.js";

describeConformance({ name: "tfjs (cpu engine)", create: () => new TfjsBackend({ engine: "cpu" }) });
describeConformance({ name: "tfjs (wasm engine)", create: () => new TfjsBackend({ engine: "wasm" }) });
