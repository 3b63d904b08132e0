import { computedOps } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { kernelTable } from "../src/lower/plan.js";

// The table's type makes a missing op a compile error; this checks the object built at run time
// (family records spread in, no cast hiding a gap) has an entry for exactly core's computed ops.
describe("the TensorFlow.js lowering table", () => {
  it("has one kernel maker per computed op, and none for a leaf", () => {
    expect(Object.keys(kernelTable).sort()).toEqual(computedOps().sort());
    for (const entry of Object.values(kernelTable)) expect(typeof entry).toBe("function");
  });
});
