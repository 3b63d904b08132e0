// The suite against backends other than the reference, which must pass it: a faithful float32
// device (every float32 primitive rounded to float32, sums and matmuls accumulated in float32), so
// the float32 tolerances are shown to be met by real float32 arithmetic with room to spare; and a
// float64-only backend, which also gets the check that compiling float32 rejects.
import { describe, expect, it } from "vitest";
import { checkProgram, conformanceCases, describeConformance, isProgramCase } from "../src/index.js";
import { TestBackend } from "./test-backend.js";

describeConformance({ name: "float32 emulation", create: () => new TestBackend({ name: "float32-emulation" }), dtypes: ["float32"] });
describeConformance({ name: "float64 only", create: () => new TestBackend({ name: "float64-only", dtypes: ["float64"] }) });

describe("float32 tolerances", () => {
  it("leave at least a 10x margin over float32 arithmetic in every program case", async () => {
    const backend = new TestBackend();
    const tight: string[] = [];
    for (const c of conformanceCases().filter(isProgramCase)) {
      for (const [i, sample] of c.samples("float32").entries()) {
        const results = await checkProgram(backend, sample.program, sample.feeds, Number.POSITIVE_INFINITY);
        const worst = Math.max(...results.map((r) => r.error));
        if (!(worst <= c.tolerance.float32 / 10)) tight.push(`${c.name}, sample ${i}: ${worst.toExponential(2)} vs ${c.tolerance.float32}`);
      }
    }
    expect(tight).toEqual([]);
  });
});
