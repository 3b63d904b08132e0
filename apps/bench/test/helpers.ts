/** Helpers shared by the bench test files (not a test file itself). */
import { expect } from "vitest";
import { type Engine, type MatmulShape, type Problem, type SizeSpec, maxRelativeError, outputNames, referenceOutputs } from "../src/index.js";

/** A size small enough for the float64 reference to be instant. */
export const TINY: SizeSpec = { name: "tiny", batch: 1, tokens: 8, dim: 4, quick: true };
export const TINY_BATCH: SizeSpec = { name: "tiny2", batch: 2, tokens: 6, dim: 4 };
export const TINY_MATMUL: MatmulShape = { m: 6, k: 5, n: 7 };

/**
 * Prepares `problem` on `engine`, checks it (every output named as the workload names them),
 * runs one timed step too (it must leave the run usable), and returns the check's relative error
 * against core's float64 interpreter on the same inputs.
 */
export async function errorAgainstReference(engine: Engine, problem: Problem): Promise<number> {
  await engine.init?.();
  const run = await engine.prepare(problem);
  try {
    const outputs = await run.check();
    expect(Object.keys(outputs).sort()).toEqual(outputNames(problem).sort());
    await run.step();
    return maxRelativeError(outputs, referenceOutputs(problem));
  } finally {
    await run.dispose();
  }
}
