// model.fixedPoint's validation: every refusal names the field and says what to change.
import { describe, expect, it } from "vitest";
import { ModelConfig } from "../src/index.js";

/** The issues of parsing `model`, as "path: message". */
function issues(model: Record<string, unknown>): string[] {
  const parsed = ModelConfig.safeParse({ kind: "yang", ...model });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("model.fixedPoint", () => {
  it("fills the defaults and leaves the step sizes fixed", () => {
    const model = ModelConfig.parse({ kind: "yang", fixedPoint: {} });
    expect(model.kind === "yang" && model.fixedPoint).toEqual({ maxIterations: 200, solver: "anderson", backward: "implicit", anchor: 1 });
    expect(model.kind === "yang" && model.attentionStep.learned).toBeUndefined();
  });

  it("refuses untied weights, learned step sizes, a causal mask and token normalization, naming the field", () => {
    expect(issues({ tied: false, fixedPoint: {} })).toEqual(["tied: model.fixedPoint needs one layer map: untied weights give every layer its own map; set model.tied to true"]);
    expect(issues({ attentionStep: { learned: true }, fixedPoint: {} })).toEqual([
      "attentionStep.learned: model.fixedPoint iterates one map with fixed step sizes; remove model.attentionStep.learned (the size is fixed at model.attentionStep.fraction of its bound)",
    ]);
    expect(issues({ feedForwardStep: { learned: true }, fixedPoint: {} })[0]).toMatch(/^feedForwardStep\.learned: /);
    expect(issues({ causal: true, fixedPoint: {} })[0]).toMatch(/^causal: model.fixedPoint is not available with a causal mask/);
    expect(issues({ normalize: "euclidean", fixedPoint: {} })[0]).toMatch(/^normalize: model.fixedPoint is not available with token normalization/);
    // learned: false is what a fixed point runs anyway: accepted.
    expect(issues({ attentionStep: { learned: false }, fixedPoint: {} })).toEqual([]);
  });

  it("refuses a bad tolerance, iteration count, anchor, solver or backward mode", () => {
    expect(issues({ fixedPoint: { tol: 0 } })).toEqual(["fixedPoint.tol: Too small: expected number to be >0"]);
    expect(issues({ fixedPoint: { tol: 2 } })).toEqual(["fixedPoint.tol: Too big: expected number to be <1"]);
    expect(issues({ fixedPoint: { maxIterations: 0 } })[0]).toMatch(/^fixedPoint.maxIterations: Too small/);
    expect(issues({ fixedPoint: { anchor: 0 } })[0]).toMatch(/^fixedPoint.anchor: Too small/);
    expect(issues({ fixedPoint: { solver: "broyden" } })).toEqual(["fixedPoint.solver: 'broyden' is not a fixed-point solver; choose iteration or anderson"]);
    expect(issues({ fixedPoint: { backward: "unrolled" } })).toEqual(["fixedPoint.backward: 'unrolled' is not a backward mode; choose implicit, jfb or phantom"]);
    expect(issues({ fixedPoint: { adjoint: { solver: "cg" } } })).toEqual(["fixedPoint.adjoint.solver: 'cg' is not an adjoint solver; choose gmres or iteration"]);
  });

  it("refuses an unknown key and settings of a backward mode not chosen", () => {
    expect(issues({ fixedPoint: { tolerance: 1e-6 } })).toEqual(['fixedPoint: Unrecognized key: "tolerance"']);
    expect(issues({ fixedPoint: { backward: "jfb", adjoint: { tol: 1e-6 } } })).toEqual(['fixedPoint.adjoint: applies to backward "implicit" only, but backward is "jfb"; remove adjoint']);
    expect(issues({ fixedPoint: { phantom: { steps: 3 } } })).toEqual(['fixedPoint.phantom: applies to backward "phantom" only, but backward is "implicit"; remove phantom']);
  });
});
