import { type CompositeKind, type DType, type Program, Random } from "@unfold/core";
import { ConformanceError } from "./compare.js";
import { compositeForms } from "./cases/composite-forms.js";
import { seedOf } from "./case.js";
import type { SuiteTest } from "./suite.js";

/**
 * What a backend says about the composites it fuses, for the suite to hold it to: every
 * canonical composite form it claims must come out fused, each as its kind, and no variant (a
 * changed decomposition under the same tag) may.
 */
export interface CompositeFusionProbe {
  /** The kinds the backend runs as one kernel or native op in `dtype`, for core's own trace over the last axis. */
  native(dtype: DType): readonly CompositeKind[];
  /**
   * The kinds of the composites the backend's plan of `program` (as traced; the probe runs the
   * backend's own passes) runs fused, one entry per fused instance. Read from the plan: its
   * kernels, steps or exported operators, not from core's recognizer.
   */
  fused(program: Program, dtype: DType): readonly CompositeKind[] | Promise<readonly CompositeKind[]>;
}

/** The probe's tests: for each dtype, each canonical and variant composite form. */
export function compositeFusionTests(targetName: string, probe: CompositeFusionProbe, dtypes: readonly DType[]): SuiteTest[] {
  const tests: SuiteTest[] = [];
  for (const dtype of dtypes) {
    for (const form of compositeForms()) {
      if (form.role === "shared") continue;
      const claimed = probe.native(dtype).includes(form.kind);
      const expected = form.role === "canonical" && claimed;
      const name = `${form.kind} form (${form.role}): ${form.name}: ${expected ? "fused" : "not fused"}`;
      tests.push({
        path: [dtype, "fusion"],
        name,
        run: async () => {
          const program = form.build(dtype, new Random(seedOf(`fusion/${form.name}`, 0))).program;
          const fused = await probe.fused(program, dtype);
          if (fused.includes(form.kind) === expected) return;
          const why =
            form.role === "variant"
              ? "fused a changed decomposition as if it were core's (its values would be the canonical composite's, not the program's)"
              : expected
                ? `did not fuse it, though its probe claims ${form.kind} in ${dtype}`
                : `fused it, though its probe does not claim ${form.kind} in ${dtype}`;
          throw new ConformanceError(`target '${targetName}', ${dtype}, ${form.kind} form '${form.name}': the backend ${why}; it reported [${fused.join(", ")}]`);
        },
      });
    }
  }
  return tests;
}
