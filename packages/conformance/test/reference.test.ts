// The reference interpreter must pass its own conformance suite: every case, in both dtypes.
import { ReferenceBackend } from "@unfold/core";
import { describeConformance } from "../src/index.js";

describeConformance({ name: "reference", create: () => new ReferenceBackend() });
