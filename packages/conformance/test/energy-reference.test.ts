// The reference backend runs the energy suite too: in float32 (its outputs rounded per run) and
// float64, every zoo energy against the float64 reference and under a throwing guard.
import { ReferenceBackend } from "@unfold/core";
import { describeEnergySuite } from "../src/energies/index.js";

describeEnergySuite({ name: "reference", create: () => new ReferenceBackend() });
