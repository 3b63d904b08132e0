import type { ConformanceCase } from "../case.js";
import { compositeCases } from "./composites.js";
import { derivativeCases } from "./derivatives.js";
import { executableCases } from "./executables.js";
import { feedValidationCases } from "./feeds.js";
import { fusionCases } from "./fusion.js";
import { lifetimeCases } from "./lifetimes.js";
import { modelCases } from "./models.js";
import { precisionCases } from "./precision.js";
import { primitiveCases } from "./primitives.js";
import { residentCases } from "./resident.js";

/** Every case of the suite, in registration order (the groups of GROUPS, in turn). */
export function conformanceCases(): ConformanceCase[] {
  return [
    ...primitiveCases(),
    ...precisionCases(),
    ...compositeCases(),
    ...fusionCases(),
    ...derivativeCases(),
    ...modelCases(),
    ...residentCases(),
    ...executableCases(),
    ...feedValidationCases(),
    ...lifetimeCases(),
  ];
}
