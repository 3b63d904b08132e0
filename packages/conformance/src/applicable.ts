import type { DType } from "@unfold/core";
import type { ConformanceCase } from "./case.js";

/** The cases that apply to one dtype of a target tested in `tested`. */
export function casesFor(cases: readonly ConformanceCase[], tested: readonly DType[]): ConformanceCase[] {
  return cases.filter((c) => (c.requires ?? []).every((d) => tested.includes(d)));
}

