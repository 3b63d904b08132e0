import { afterAll, beforeAll, describe, it } from "vitest";
import { type ConformanceTarget, type SuiteTest, conformanceSuite } from "./suite.js";

export type { ConformanceTarget } from "./suite.js";

/** Registers `tests` with vitest: a describe block per path component, in the order the tests come. */
function register(tests: readonly SuiteTest[], depth: number): void {
  const groups = new Map<string, SuiteTest[]>();
  for (const test of tests) {
    const key = test.path[depth];
    if (key === undefined) it(test.name, () => test.run());
    else if (groups.has(key)) groups.get(key)!.push(test);
    else groups.set(key, [test]);
  }
  for (const [key, inGroup] of groups) describe(key, () => register(inGroup, depth + 1));
}

/**
 * Registers the conformance suite for a backend with vitest (see conformanceSuite): a describe
 * block "conformance: <name>", per dtype and group inside it, one test per case; the backend is
 * made in beforeAll and disposed in afterAll. The vitest adapter of `conformanceSuite`, which is
 * runner-agnostic and exported from `@unfold/conformance/portable` too.
 */
export function describeConformance(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, async () => {
    const suite = await conformanceSuite(target);
    beforeAll(() => suite.setup());
    afterAll(() => suite.teardown());
    register(suite.tests, 0);
  });
}
