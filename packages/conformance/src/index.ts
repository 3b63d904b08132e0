// The conformance suite: every backend runs the same cases against the float64 reference
// interpreter. `describeConformance` registers them with vitest; the pieces it is built from are
// exported too (and, without vitest, from `@unfold/conformance/portable`), so a backend can run
// one case while debugging and the suite can test itself.

export { describeConformance } from "./describe.js";
export * from "./portable.js";
