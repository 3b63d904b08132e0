// The property-test settings and the reduction draws that both vjp test files use
// (vjp-primitives.test.ts and vjp-composites.test.ts), so both run the same number of cases
// from the same seed.
import fc from "fast-check";
import { seedArb, shapeArb } from "./derivative-check.js";

export const RUNS = 25;
export const SEED = 0x5eed;
export const assertProperty = <T>(arb: fc.Arbitrary<T>, check: (value: T) => void, runs = RUNS): void =>
  fc.assert(fc.property(arb, check), { numRuns: runs, seed: SEED });

/** A shape, a seed, a subset of its axes (or null: all of them) and keepDims: a reduction's operands. */
export const sumLike = fc.tuple(shapeArb(), seedArb).chain(([shape, seed]) =>
  fc.record({
    shape: fc.constant(shape),
    seed: fc.constant(seed),
    // A subset of the axes (null: all of them), some written negative as the seed's bits say.
    axes: fc.option(fc.subarray(shape.map((_, i) => i)).map((axes) => axes.map((a) => (seed & (1 << a) ? a - shape.length : a)))),
    keepDims: fc.boolean(),
  }),
);
