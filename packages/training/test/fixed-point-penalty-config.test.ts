// model.fixedPoint.jacobianPenalty's validation: defaults, and every refusal names the field.
import { describe, expect, it } from "vitest";
import { ModelConfig } from "../src/index.js";

/** The issues of parsing a yang model with `jacobianPenalty`, as "path: message". */
function issues(jacobianPenalty: unknown): string[] {
  const parsed = ModelConfig.safeParse({ kind: "yang", fixedPoint: { jacobianPenalty } });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("model.fixedPoint.jacobianPenalty", () => {
  it("is absent unless set, and takes one probe and no seed by default", () => {
    const plain = ModelConfig.parse({ kind: "yang", fixedPoint: {} });
    expect(plain.kind === "yang" && plain.fixedPoint).not.toHaveProperty("jacobianPenalty");
    const set = ModelConfig.parse({ kind: "yang", fixedPoint: { jacobianPenalty: { weight: 0.1 } } });
    expect(set.kind === "yang" && set.fixedPoint?.jacobianPenalty).toEqual({ weight: 0.1, probes: 1 });
    const full = ModelConfig.parse({ kind: "yang", fixedPoint: { jacobianPenalty: { weight: 2, probes: 4, seed: 9 } } });
    expect(full.kind === "yang" && full.fixedPoint?.jacobianPenalty).toEqual({ weight: 2, probes: 4, seed: 9 });
  });

  it("refuses a missing, zero, negative or non-numeric weight, naming the field", () => {
    expect(issues({})).toEqual(["fixedPoint.jacobianPenalty.weight: Invalid input: expected number, received undefined"]);
    expect(issues({ weight: 0 })).toEqual(["fixedPoint.jacobianPenalty.weight: Too small: expected number to be >0"]);
    expect(issues({ weight: -1 })).toEqual(["fixedPoint.jacobianPenalty.weight: Too small: expected number to be >0"]);
    expect(issues({ weight: "0.1" })).toEqual(["fixedPoint.jacobianPenalty.weight: Invalid input: expected number, received string"]);
    expect(issues({ weight: 1e7 })[0]).toMatch(/^fixedPoint\.jacobianPenalty\.weight: Too big/);
  });

  it("refuses a bad probe count or seed, an unknown key, and a penalty that is not an object", () => {
    expect(issues({ weight: 1, probes: 0 })[0]).toMatch(/^fixedPoint\.jacobianPenalty\.probes: Too small/);
    expect(issues({ weight: 1, probes: 1.5 })[0]).toMatch(/^fixedPoint\.jacobianPenalty\.probes: Invalid input: expected int/);
    expect(issues({ weight: 1, probes: 1_001 })[0]).toMatch(/^fixedPoint\.jacobianPenalty\.probes: Too big/);
    expect(issues({ weight: 1, seed: -1 })[0]).toMatch(/^fixedPoint\.jacobianPenalty\.seed: Too small/);
    expect(issues({ weight: 1, seed: 0.5 })[0]).toMatch(/^fixedPoint\.jacobianPenalty\.seed: Invalid input: expected int/);
    expect(issues({ weight: 1, samples: 2 })).toEqual(['fixedPoint.jacobianPenalty: Unrecognized key: "samples"']);
    expect(issues(true)).toEqual(["fixedPoint.jacobianPenalty: Invalid input: expected object, received boolean"]);
  });
});
