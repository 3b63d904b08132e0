// conformanceSuite: the suite as plain data for any test runner. describeConformance is its vitest
// adapter (reference.test.ts, emulation.test.ts register it); here it runs without one.
import { type CompositeKind, type Program, ReferenceBackend } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { casesFor, compositeForms, conformanceCases, conformanceSuite } from "../src/portable.js";
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

  it("holds a target's composite probe to every form: a backend trusting the tag fuses the variants and fails, one claiming a kind it does not fuse fails", async () => {
    // A backend that fuses every softmax-tagged division, whatever its structure.
    const trustsTags = (program: Program): CompositeKind[] => program.nodes.filter((n) => n.composite === "softmax" && n.op === "div").map(() => "softmax");
    const suite = await conformanceSuite({ name: "tags", create: () => new ReferenceBackend(), dtypes: ["float64"], composites: { native: () => ["softmax", "layerNorm"], fused: trustsTags } });
    const fusion = new Map(suite.tests.filter((t) => t.path[1] === "fusion" && t.name.includes(" form (")).map((t) => [t.name, t]));
    // Canonical and variant forms of every kind (shared forms only check values).
    expect(fusion.size).toBe(compositeForms().filter((f) => f.role !== "shared").length);
    await fusion.get("softmax form (canonical): softmax over the last axis: fused")!.run();
    await expect(fusion.get("softmax form (variant): softmax without the max shift: not fused")!.run()).rejects.toThrow(
      /target 'tags', float64, softmax form 'softmax without the max shift': the backend fused a changed decomposition as if it were core's .*it reported \[softmax\]/,
    );
    await expect(fusion.get("layerNorm form (canonical): layerNorm over the last axis: fused")!.run()).rejects.toThrow(/did not fuse it, though its probe claims layerNorm in float64; it reported \[\]/);
    // A Yang step holds a softmax; fusing that is not fusing the step.
    await fusion.get("yangAttention form (variant): Yang attention weights with a column bias: not fused")!.run();
  });

  it("refuses a target that asks for a dtype its backend does not list, naming both", async () => {
    await expect(conformanceSuite({ name: "f64", create: () => new TestBackend({ name: "f64", dtypes: ["float64"] }), dtypes: ["float32"] })).rejects.toThrow(
      /target 'f64' asks for float32, which the backend does not list in dtypes \[float64\]/,
    );
  });
});
