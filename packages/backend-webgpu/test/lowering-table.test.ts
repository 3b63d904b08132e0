import { computedOps, type Op, optimize } from "@unfold/core";
import { primitiveCases } from "@unfold/conformance";
import { describe, expect, it } from "vitest";
import { lower } from "../src/plan/lower.js";

// WebGPU's default limits: 8 storage buffers per stage, 128 MiB per binding.
const limits = { maxBindings: 8, maxBindingBytes: 134_217_728 };

// The planner's table is typed per computed op (a missing op is a compile error). This plans, with
// no device, the conformance suite's float32 primitive programs (as traced and as optimized),
// which together hold every computed op, so an entry that throws or is missing at run time fails here before any GPU test.
describe("the WebGPU lowering table", () => {
  it("plans a program of every computed op", () => {
    const planned = new Set<Op>();
    for (const c of primitiveCases()) {
      for (const program of c.programs("float32")) {
        // Unoptimized too: the optimizer drops some ops (stopGradient) that the table must still lower.
        for (const p of [program, optimize(program)]) {
          const plan = lower(p, limits);
          expect(plan.slots.filter((s) => s.kind === "output").length).toBe(p.outputs.length);
          for (const node of p.nodes) planned.add(node.op);
        }
      }
    }
    expect(computedOps().filter((op) => !planned.has(op))).toEqual([]);
  });
});
