import { Graph, hostTensor } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { crateEnergy, crateProximalStep, crateStepBound, initCrateParams, istaStep, istaStepBound, logDetPositiveDefinite, mssaStep, sparseCodingEnergy } from "../src/index.js";

const config = { dim: 4, heads: 2, headDim: 2 };

/** What a CRATE caller can get wrong, and what each error must name. */
const cases: { name: string; run: () => unknown; names: string[] }[] = [
  { name: "dim 0", run: () => crateEnergy({ ...config, dim: 0 }), names: ["crateEnergy", "config.dim", "0"] },
  { name: "a fractional headDim", run: () => crateEnergy({ ...config, headDim: 1.5 }), names: ["crateEnergy", "config.headDim", "1.5"] },
  { name: "a negative eps", run: () => crateEnergy({ ...config, eps: -1 }), names: ["crateEnergy", "config.eps", "-1"] },
  { name: "lambda 0", run: () => crateEnergy({ ...config, lambda: 0 }), names: ["crateEnergy", "config.lambda", "0"] },
  { name: "a misspelt config field", run: () => crateEnergy({ ...config, lamda: 0.1 } as never), names: ["crateEnergy", "lamda"] },
  { name: "an MSSA step size of 0", run: () => mssaStep(crateEnergy(config), { stepSize: 0 }), names: ["closedFormStep", "stepSize", "0"] },
  { name: "an unknown MSSA option", run: () => mssaStep(crateEnergy(config), { size: 1 } as never), names: ["mssaStep", "size"] },
  { name: "a negative proximal step size", run: () => crateProximalStep(crateEnergy(config), { stepSize: -1 }), names: ["proximalStep", "stepSize", "-1"] },
  { name: "bases of the wrong shape for the step bound", run: () => crateStepBound(config, 5, hostTensor(new Float64Array(8), [2, 2, 2])), names: ["crateStepBound", "[2, 4, 2]", "[2, 2, 2]"] },
  { name: "a non-square dictionary for the ISTA bound", run: () => istaStepBound(hostTensor(new Float64Array(6), [2, 3])), names: ["istaStepBound", "[2, 3]"] },
  { name: "sparse coding without tokens", run: () => sparseCodingEnergy({ dim: 4 } as never), names: ["sparseCodingEnergy", "config.tokens", "undefined"] },
  { name: "an ISTA step size of 0", run: () => istaStep(sparseCodingEnergy({ dim: 4, tokens: 3 }), { stepSize: 0 }), names: ["proximalStep", "stepSize", "0"] },
  { name: "an unknown init option", run: () => initCrateParams(config, { sead: 1 } as never), names: ["initCrateParams", "sead"] },
  {
    name: "a state whose last axis is not dim",
    run: () => {
      const g = new Graph();
      return crateEnergy(config).terms[0]!.value(g.leaf("input", "Z", [3, 5], "float64"), { U: g.leaf("param", "U", [2, 4, 2], "float64") });
    },
    names: ["crate", "[..., n, 4]", "[3, 5]"],
  },
  { name: "log det of a non-square matrix", run: () => logDetPositiveDefinite(new Graph().leaf("input", "A", [2, 3], "float64")), names: ["logDetPositiveDefinite", "[2, 3]"] },
];

describe("CRATE: bad input", () => {
  it.each(cases)("$name", (c) => {
    let message: string | undefined;
    try {
      c.run();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message, "it was accepted").toBeDefined();
    for (const text of c.names) expect(message, `should name ${text}`).toContain(text);
  });
});
