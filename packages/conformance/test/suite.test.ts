// conformanceSuite: the suite as plain data for any test runner. describeConformance is its vitest
// adapter (reference.test.ts, emulation.test.ts register it); here it runs without one.
import { ReferenceBackend } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { casesFor, conformanceCases, conformanceSuite } from "../src/portable.js";
import { TestBackend } from "./test-backend.js";

describe("conformanceSuite", () => {
  it("files every case under [dtype, group] for each claimed dtype, after the coverage check", async () => {
    const suite = await conformanceSuite({ name: "reference", create: () => new ReferenceBackend() });
    expect(suite.name).toBe("conformance: reference");
    expect(suite.tests[0]).toMatchObject({ path: [], name: "has a primitive-level case for every computed primitive of core" });
    const float64 = suite.tests.filter((t) => t.path[0] === "float64");
    const applicable = casesFor(conformanceCases(), new ReferenceBackend().dtypes);
    expect(float64.map((t) => `${t.path[1]}/${t.name}`).sort()).toEqual(applicable.map((c) => `${c.group}/${c.name}`).sort());
    const ids = suite.tests.map((t) => [...t.path, t.name].join(" > "));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("runs its tests between setup and teardown, as a runner without vitest would", async () => {
    const suite = await conformanceSuite({ name: "reference", create: () => new ReferenceBackend(), dtypes: ["float64"] });
    const models = suite.tests.filter((t) => t.path[1] === "models");
    expect(models.length).toBeGreaterThan(0);
    await suite.setup();
    try {
      for (const test of [suite.tests[0]!, ...models]) await test.run();
    } finally {
      await suite.teardown();
    }
    // After teardown the shared backend is gone: a test says so, naming the target.
    await expect(models[0]!.run()).rejects.toThrow(/target 'reference': no backend \(setup\(\) was not called/);
  });

  it("checks that compiling in a dtype the backend does not claim rejects", async () => {
    const suite = await conformanceSuite({ name: "float64 only", create: () => new TestBackend({ name: "float64-only", dtypes: ["float64"] }) });
    const rejected = suite.tests.filter((t) => t.path[0] === "dtypes the backend does not claim");
    expect(rejected.map((t) => t.name)).toEqual(["compiling a float32 program rejects with a DTypeError"]);
    expect(suite.tests.some((t) => t.path[0] === "float32")).toBe(false);
  });

  it("refuses a target that asks for a dtype its backend does not list, naming both", async () => {
    await expect(conformanceSuite({ name: "f64", create: () => new TestBackend({ name: "f64", dtypes: ["float64"] }), dtypes: ["float32"] })).rejects.toThrow(
      /target 'f64' asks for float32, which the backend does not list in dtypes \[float64\]/,
    );
  });
});
