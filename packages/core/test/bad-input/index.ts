import type { BadInput } from "@unfold/testing/bad-input";
import { composeCases } from "./compose.js";
import { energyDefinitionCases, termCases } from "./energy.js";
import { feedCases } from "./feeds.js";
import { runCases } from "./run.js";
import { stepCases } from "./steps.js";
import { tensorCases } from "./tensors.js";
import { traceCases } from "./trace.js";
import { unfoldingCases } from "./unfolding.js";

/** Every bad-input case of the public API, by group. */
export const badInputGroups: Readonly<Record<string, readonly BadInput[]>> = {
  "feeds and uploads": feedCases,
  "host tensors": tensorCases,
  tracing: traceCases,
  "energy definitions": energyDefinitionCases,
  "energy terms": termCases,
  composition: composeCases,
  steps: stepCases,
  unfoldings: unfoldingCases,
  "runUnfolding": runCases,
};
