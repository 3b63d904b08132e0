// model.fixedPoint on the crate and energy-transformer kinds: what a fixed point cannot run is
// refused naming the field, and a valid section builds a fixed-point model.
import { describe, expect, it } from "vitest";
import { ModelConfig, buildModel } from "../src/index.js";
import { tinyTask } from "./fixed-point-fixture.js";

/** The issues of parsing `model`, as "path: message". */
function issues(model: Record<string, unknown>): string[] {
  const parsed = ModelConfig.safeParse(model);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("model.fixedPoint on a crate model", () => {
  it("parses with the shared defaults and builds a fixed-point CRATE model", () => {
    const config = ModelConfig.parse({ kind: "crate", dim: 4, heads: 2, tied: true, fixedPoint: {} });
    expect(config.kind === "crate" && config.fixedPoint).toEqual({ maxIterations: 200, solver: "anderson", backward: "implicit", anchor: 1 });
    const model = buildModel(config, tinyTask(4, 4));
    expect(model.kind).toBe("crate");
    expect(model.fixedPoint?.stateShape(5)).toEqual([5, 3, 4]);
    expect(Object.keys(model.specs).filter((n) => n.startsWith("shared."))).toEqual(["shared.U", "shared.D"]);
    expect(model.describe()).toMatch(/^fixed-point CRATE: one tied proximal step .* anchor 1, dim 4, 2 subspaces of 2/);
    expect(() => model.logits(undefined as never, {})).toThrow("a fixed-point model (model.fixedPoint) has no unrolled logits program");
  });

  it("refuses untied weights (CRATE's default) and an anchor the ISTA step cannot contract, naming the field", () => {
    const untied = "tied: model.fixedPoint needs one layer map: untied weights give every layer its own map; set model.tied to true (CRATE is untied unless told)";
    expect(issues({ kind: "crate", fixedPoint: {} })).toEqual([untied]);
    expect(issues({ kind: "crate", tied: false, fixedPoint: {} })).toEqual([untied]);
    expect(issues({ kind: "crate", tied: true, istaStep: 1, fixedPoint: { anchor: 2 } })).toEqual([
      "fixedPoint.anchor: model.fixedPoint.anchor 2 times model.istaStep 1 is 2, but the anchor's pull contracts only below 2 (the state would oscillate or diverge); lower the anchor or model.istaStep",
    ]);
    expect(issues({ kind: "crate", tied: true, istaStep: 1, fixedPoint: { anchor: 1.9 } })).toEqual([]);
  });
});

describe("model.fixedPoint on an energy-transformer model", () => {
  it("parses and builds a fixed-point Energy Transformer with the unrolled model's parameters", () => {
    const config = ModelConfig.parse({ kind: "energy-transformer", dim: 4, heads: 1, headDim: 2, memories: 4, fixedPoint: { backward: "jfb" } });
    const model = buildModel(config, tinyTask(4, 4));
    expect(model.kind).toBe("energy-transformer");
    expect(model.fixedPoint?.config.backward).toBe("jfb");
    expect(Object.keys(model.specs).filter((n) => n.startsWith("et.")).sort()).toEqual(["et.Wk", "et.Wq", "et.lnBias", "et.lnGain", "et.xi"]);
    expect(model.describe()).toMatch(/^fixed-point Energy Transformer: one descent step \(size 0.1\) .* jfb gradients, anchor 1, dim 4, 1 heads of 2, 4 memories/);
  });

  it("refuses a learned step and an anchor the step cannot contract, naming the field", () => {
    expect(issues({ kind: "energy-transformer", learnedStep: true, fixedPoint: {} })).toEqual([
      "learnedStep: model.fixedPoint iterates one map with a fixed step size; remove model.learnedStep (the step is fixed at model.stepSize)",
    ]);
    expect(issues({ kind: "energy-transformer", stepSize: 0.5, fixedPoint: { anchor: 5 } })).toEqual([
      "fixedPoint.anchor: model.fixedPoint.anchor 5 times model.stepSize 0.5 is 2.5, but the anchor's pull contracts only below 2 (the state would oscillate or diverge); lower the anchor or model.stepSize",
    ]);
    expect(issues({ kind: "energy-transformer", fixedPoint: { solver: "broyden" } })).toEqual(["fixedPoint.solver: 'broyden' is not a fixed-point solver; choose iteration or anderson"]);
  });
});

describe("model.fixedPoint on the baseline transformer", () => {
  it("is an unknown field: the baseline is no energy descent", () => {
    expect(issues({ kind: "transformer", fixedPoint: {} })).toEqual([': Unrecognized key: "fixedPoint"']);
  });
});
