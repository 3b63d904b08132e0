import * as core from "@unfold/core";
import * as energies from "@unfold/energies";
import type { ModuleTable } from "./imports.js";

/** What an energy's source can import in the studio: the same modules as in Node. */
export const UNFOLD_MODULES: ModuleTable = { "@unfold/core": core, "@unfold/energies": energies };
