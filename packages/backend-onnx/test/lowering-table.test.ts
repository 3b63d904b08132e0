import { computedOps } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { batchRules, uniformRules } from "../src/lower/batch.js";
import { onnxLowering } from "../src/lower/program.js";

// The tables' types make a missing op a compile error; this checks the objects built at run time
// (family records spread in, no cast hiding a gap) have an entry for exactly core's computed ops.
describe("the ONNX per-op tables", () => {
  const tables = { "the lowering": onnxLowering, "the batch-axis rules": batchRules, "the uniformity rules": uniformRules };
  for (const [name, table] of Object.entries(tables)) {
    it(`${name} have one entry per computed op, and none for a leaf`, () => {
      expect(Object.keys(table).sort()).toEqual(computedOps().sort());
      for (const entry of Object.values(table)) expect(typeof entry).toBe("function");
    });
  }
});
