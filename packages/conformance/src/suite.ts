import { type Backend, type DType, DTYPES } from "@unfold/core";
import { type CaseContext, GROUPS } from "./case.js";
import { casesFor } from "./applicable.js";
import { conformanceCases } from "./cases/index.js";
import { checkRejectsDType } from "./cases/feeds.js";
import { ConformanceError } from "./compare.js";
import { assertCoverage } from "./coverage.js";
import { type CompositeFusionProbe, compositeFusionTests } from "./fusion-probe.js";

/** A backend to hold to the suite. */
export interface ConformanceTarget {
  readonly name: string;
  /**
   * A fresh backend; the suite disposes it in teardown. It is also called once while the suite is
   * built, to read the backend's `dtypes`, and that instance is disposed at once; and by the
   * lifetimes cases, which dispose the backends they get (CaseContext.fresh).
   */
  create(): Backend | Promise<Backend>;
  /** The dtypes to test; by default every dtype the backend lists in `dtypes`. */
  readonly dtypes?: readonly DType[];
  /** What the backend fuses, read from its own plans: adds the `fusion` tests of every composite form (fusion-probe.ts). */
  readonly composites?: CompositeFusionProbe;
}

/** One test of the suite: where a runner files it (`path`, outermost first, then `name`) and what it runs. */
export interface SuiteTest {
  /** The groups it sits in, outermost first: [dtype, group] for a case, [] for the coverage check. */
  readonly path: readonly string[];
  readonly name: string;
  /** Runs the test on the suite's shared backend (made by setup); rejects when the backend fails it. */
  run(): Promise<void>;
}

/**
 * The conformance suite for one backend, for any test runner: register each test under its path
 * and name, call `setup` before the first and `teardown` after the last. `describeConformance`
 * is this, registered with vitest; node:test, mocha or jest register it the same way.
 */
export interface ConformanceSuite {
  /** "conformance: <target name>". */
  readonly name: string;
  readonly tests: readonly SuiteTest[];
  /** Makes the backend the tests share. */
  setup(): Promise<void>;
  /** Disposes the shared backend; the tests reject afterwards. */
  teardown(): Promise<void>;
}

/**
 * What the backend claims, asked of a throwaway instance while the suite is built (which dtypes
 * get cases must be known before any test is registered).
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
 * Builds the conformance suite for a backend: for each dtype, every case of every group
 * (primitives, composites, fusion, derivatives, models, resident, executables, feeds,
 * lifetimes), each compiled with poisoned buffers and compared output by output with the float64
 * reference interpreter; a check that the cases cover every computed primitive; and, for each
 * dtype the backend does not claim, a check that compiling in it rejects. Rejects when the target
 * asks for a dtype its backend does not list.
 */
export async function conformanceSuite(target: ConformanceTarget): Promise<ConformanceSuite> {
  const claimed = await claimedDTypes(target);
  const tested = target.dtypes ?? claimed;
  const unclaimed = tested.filter((d) => !claimed.includes(d));
  if (unclaimed.length > 0) {
    throw new ConformanceError(`target '${target.name}' asks for ${unclaimed.join(", ")}, which the backend does not list in dtypes [${claimed.join(", ")}]`);
  }

  let backend: Backend | undefined;
  const current = (): Backend => {
    if (!backend) throw new ConformanceError(`target '${target.name}': no backend (setup() was not called, create() failed, or teardown() disposed it)`);
    return backend;
  };
  // Cases that dispose a backend get one of their own; the shared one serves the rest.
  const context: CaseContext = { fresh: async () => target.create() };

  const cases = conformanceCases();
  const tests: SuiteTest[] = [{ path: [], name: "has a primitive-level case for every computed primitive of core", run: async () => assertCoverage(cases) }];
  const applicable = casesFor(cases, tested);
  for (const dtype of tested) {
    for (const group of GROUPS) {
      for (const c of applicable.filter((a) => a.group === group)) tests.push({ path: [dtype, group], name: c.name, run: async () => c.run(current(), dtype, context) });
    }
  }
  if (target.composites) tests.push(...compositeFusionTests(target.name, target.composites, tested));
  for (const dtype of DTYPES.filter((d) => !claimed.includes(d))) {
    tests.push({ path: ["dtypes the backend does not claim"], name: `compiling a ${dtype} program rejects with a DTypeError`, run: async () => checkRejectsDType(current(), dtype) });
  }

  return {
    name: `conformance: ${target.name}`,
    tests,
    setup: async () => {
      backend = await target.create();
    },
    teardown: async () => {
      await backend?.dispose();
      backend = undefined;
    },
  };
}
