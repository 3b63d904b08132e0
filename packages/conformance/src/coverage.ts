import { DTYPES, type Op, computedOps } from "@unfold/core";
import type { ConformanceCase, Group } from "./case.js";
import { ConformanceError } from "./compare.js";

/**
 * Which computed primitives the suite exercises, read off the programs its cases actually
 * build (not a hand-kept list), so a primitive added to core without a conformance case is
 * reported as uncovered.
 */
export function coveredOps(cases: readonly ConformanceCase[], group?: Group): Map<Op, string[]> {
  const covered = new Map<Op, string[]>();
  for (const c of cases) {
    if (group && c.group !== group) continue;
    const ops = new Set<Op>();
    for (const dtype of DTYPES) for (const program of c.programs(dtype)) for (const node of program.nodes) ops.add(node.op);
    for (const op of ops) covered.set(op, [...(covered.get(op) ?? []), `${c.group}/${c.name}`]);
  }
  return covered;
}

/** Computed primitives with no case in the `primitives` group. */
export function uncoveredOps(cases: readonly ConformanceCase[]): Op[] {
  const covered = coveredOps(cases, "primitives");
  return computedOps().filter((op) => !covered.has(op));
}

/** Throws, naming them, when a computed primitive has no case in the `primitives` group. */
export function assertCoverage(cases: readonly ConformanceCase[]): void {
  const missing = uncoveredOps(cases);
  if (missing.length > 0) {
    throw new ConformanceError(`no primitive-level conformance case exercises: ${missing.join(", ")}; add one to src/cases/primitives.ts`);
  }
}
