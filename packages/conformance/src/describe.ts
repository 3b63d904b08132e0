import { type Backend, type DType, DTYPES } from "@unfold/core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type CaseContext, GROUPS } from "./case.js";
import { casesFor } from "./applicable.js";
import { conformanceCases } from "./cases/index.js";
import { checkRejectsDType } from "./cases/feeds.js";
import { ConformanceError } from "./compare.js";
import { assertCoverage } from "./coverage.js";

/** A backend to hold to the suite. */
export interface ConformanceTarget {
  readonly name: string;
  /**
   * A fresh backend; the suite disposes it in afterAll. It is also called once while tests are
   * collected, to read the backend's `dtypes`, and that instance is disposed at once; and by the
   * lifetimes cases, which dispose the backends they get (CaseContext.fresh).
   */
  create(): Backend | Promise<Backend>;
  /** The dtypes to test; by default every dtype the backend lists in `dtypes`. */
  readonly dtypes?: readonly DType[];
}

/**
 * What the backend claims, asked of a throwaway instance at collection time (registering tests
 * is synchronous in spirit: which dtypes get cases must be known before any test runs).
 */
async function claimedDTypes(target: ConformanceTarget): Promise<readonly DType[]> {
  const probe = await target.create();
  try {
    return [...probe.dtypes];
  } finally {
    await probe.dispose();
  }
}

/**
 * Registers the conformance suite for a backend with vitest: for each dtype, every case of
 * every group (primitives, composites, fusion, derivatives, models, resident, executables,
 * feeds, lifetimes), each compiled with poisoned buffers and compared output by output with the
 * float64 reference interpreter; a check that the cases cover every computed primitive; and, for
 * each dtype the backend does not claim, a check that compiling in it rejects.
 */
export function describeConformance(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, async () => {
    const claimed = await claimedDTypes(target);
    const tested = target.dtypes ?? claimed;
    const unclaimed = tested.filter((d) => !claimed.includes(d));
    if (unclaimed.length > 0) {
      throw new ConformanceError(`target '${target.name}' asks for ${unclaimed.join(", ")}, which the backend does not list in dtypes [${claimed.join(", ")}]`);
    }

    let backend: Backend | undefined;
    beforeAll(async () => {
      backend = await target.create();
    });
    afterAll(async () => {
      await backend?.dispose();
      backend = undefined;
    });
    const current = (): Backend => {
      if (!backend) throw new ConformanceError(`target '${target.name}': no backend (create() failed or the suite was disposed)`);
      return backend;
    };
    // Cases that dispose a backend get one of their own; the shared one serves the rest.
    const context: CaseContext = { fresh: async () => target.create() };

    const cases = conformanceCases();
    it("has a primitive-level case for every computed primitive of core", () => assertCoverage(cases));

    const applicable = casesFor(cases, tested);
    for (const dtype of tested) {
      describe(dtype, () => {
        for (const group of GROUPS) {
          const inGroup = applicable.filter((c) => c.group === group);
          if (inGroup.length === 0) continue;
          describe(group, () => {
            for (const c of inGroup) it(c.name, () => c.run(current(), dtype, context));
          });
        }
      });
    }

    const rejected = DTYPES.filter((d) => !claimed.includes(d));
    if (rejected.length > 0) {
      describe("dtypes the backend does not claim", () => {
        for (const dtype of rejected) it(`compiling a ${dtype} program rejects with a DTypeError`, () => checkRejectsDType(current(), dtype));
      });
    }
  });
}
