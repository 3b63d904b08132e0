import { rejectionOf } from "@unfold/testing";
import { describe, expect, it } from "vitest";
import { file, train } from "./bad-input/fixtures.js";

const config = (name: string, model: Record<string, unknown>): string =>
  file(name, JSON.stringify({ task: { kind: "mnist", train: 100, test: 20 }, model: { kind: "crate", ...model }, train: { epochs: 1, warmupSteps: 0, batchSize: 2 } }));

const withEnergyInputs = (name: string, energyInputs: number): string =>
  file(name, JSON.stringify({ task: { kind: "mnist", train: 100, test: 20 }, model: { kind: "crate", dim: 4, layers: 1 }, train: { epochs: 1, warmupSteps: 0, batchSize: 2 }, energyInputs }));

/** What a crate config can get wrong, and what each error must name. */
const cases: { name: string; run: () => Promise<unknown>; names: string[] }[] = [
  { name: "--heads that do not divide --dim", run: () => train("--model", "crate", "--heads", "3", "--dim", "32"), names: ["--heads", "3 subspaces", "32", "headDim"] },
  { name: "--model crate on a next-token task", run: () => train("--model", "crate", "--task", "addition", "--train-examples", "100", "--test-examples", "20"), names: ["addition", "causal", "crate"] },
  { name: "lambda 0 in a config file", run: () => train("--config", config("lambda.json", { lambda: 0 })), names: ["lambda.json", "model.lambda"] },
  { name: "a negative eps", run: () => train("--config", config("eps.json", { eps: -1 })), names: ["eps.json", "model.eps"] },
  { name: "an MSSA step size above 10", run: () => train("--config", config("mssa.json", { mssaStep: 20 })), names: ["mssa.json", "model.mssaStep", "20"] },
  { name: "an ISTA step size of 0", run: () => train("--config", config("ista.json", { istaStep: 0 })), names: ["ista.json", "model.istaStep"] },
  { name: "a field of another model (memories)", run: () => train("--config", config("memories.json", { memories: 8 })), names: ["memories.json", "model.memories", "unknown field"] },
  { name: "a misspelt field (stepSize)", run: () => train("--config", config("step.json", { stepSize: 0.1 })), names: ["step.json", "model.stepSize", "unknown field"] },
  // The figures by layer are measured on energyInputs test inputs: more than the test split is refused before training, never lowered after it.
  { name: "--energy-inputs beyond the test split", run: () => train("--model", "crate", "--energy-inputs", "50"), names: ["--energy-inputs", "50", "20 examples", "at most 20"] },
  { name: "a config file's energyInputs beyond the test split", run: () => train("--config", withEnergyInputs("inputs.json", 21)), names: ["inputs.json", "field energyInputs", "21", "at most 20"] },
];

describe("crate config errors", () => {
  it.each(cases)("$name", async (c) => {
    const message = await rejectionOf(c.run);
    expect(message).not.toContain("\n");
    for (const text of c.names) expect(message, `should name ${text}`).toContain(text);
  });
});
