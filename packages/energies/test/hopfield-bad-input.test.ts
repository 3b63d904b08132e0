import { type Energy, FeedError, ReferenceBackend, UnfoldError, defineUnfolding, hostTensor, runUnfolding } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { hopfieldEnergy, hopfieldStep, yangEnergy } from "../src/index.js";
import { type BadInput, tryBadInput } from "@unfold/testing/bad-input";

// Each case makes one mistake with the Hopfield energy and asserts that it fails at once, naming
// the function (or the term), the option or shape, and the value given.

const bad = <T>(value: unknown): T => value as T;

/** Two CCCP layers on dim 4, 3 memories, run with the given state and patterns. */
async function runWith(state: { data: number; shape: number[] }, patterns: { data: number; shape: number[] }): Promise<unknown> {
  const energy = hopfieldEnergy({ dim: 4, memories: 3 });
  const unfolding = defineUnfolding({ energy, steps: [hopfieldStep(energy)], layers: 2 });
  return runUnfolding(unfolding, new ReferenceBackend(), {
    state: hostTensor(new Float64Array(state.data), state.shape),
    params: { X: hostTensor(new Float64Array(patterns.data), patterns.shape) },
  });
}

const cases: BadInput[] = [
  { name: "hopfieldEnergy without a config", call: () => hopfieldEnergy(bad(undefined)), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config", "undefined"] },
  { name: "hopfieldEnergy with dim 0", call: () => hopfieldEnergy({ dim: 0, memories: 3 }), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.dim", "0"] },
  { name: "hopfieldEnergy with fractional memories", call: () => hopfieldEnergy({ dim: 4, memories: 2.5 }), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.memories", "2.5"] },
  { name: "hopfieldEnergy without memories", call: () => hopfieldEnergy(bad({ dim: 4 })), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.memories", "undefined"] },
  { name: "hopfieldEnergy with beta 0", call: () => hopfieldEnergy({ dim: 4, memories: 3, beta: 0 }), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.beta", "0"] },
  { name: "hopfieldEnergy with a negative beta", call: () => hopfieldEnergy({ dim: 4, memories: 3, beta: -2 }), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.beta", "-2"] },
  { name: "hopfieldEnergy with a NaN beta", call: () => hopfieldEnergy({ dim: 4, memories: 3, beta: NaN }), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.beta", "NaN"] },
  { name: "hopfieldEnergy with beta as a string", call: () => hopfieldEnergy(bad({ dim: 4, memories: 3, beta: "8" })), error: UnfoldError, op: "hopfieldEnergy", mentions: ["config.beta", "'8'"] },
  { name: "hopfieldEnergy with a misspelt option", call: () => hopfieldEnergy(bad({ dim: 4, memories: 3, betta: 8 })), error: UnfoldError, op: "hopfieldEnergy", mentions: ["'betta'", "beta"] },
  {
    name: "hopfieldStep with step size 2 (the bound)",
    call: () => hopfieldStep(hopfieldEnergy({ dim: 4, memories: 3 }), { stepSize: 2 }),
    error: UnfoldError,
    op: "hopfieldStep",
    mentions: ["stepSize", "below 2", "got 2"],
  },
  { name: "hopfieldStep with step size 0", call: () => hopfieldStep(hopfieldEnergy({ dim: 4, memories: 3 }), { stepSize: 0 }), error: UnfoldError, op: "hopfieldStep", mentions: ["stepSize", "0"] },
  {
    name: "hopfieldStep with a misspelt option",
    call: () => hopfieldStep(hopfieldEnergy({ dim: 4, memories: 3 }), bad({ step: 0.5 })),
    error: UnfoldError,
    op: "hopfieldStep",
    mentions: ["'step'", "stepSize"],
  },
  { name: "hopfieldStep on the Yang energy", call: () => hopfieldStep(yangEnergy({ dim: 4 })), error: UnfoldError, op: "hopfieldStep", mentions: ["'yang'", "'hopfield'"] },
  { name: "hopfieldStep without an energy", call: () => hopfieldStep(bad<Energy>(undefined)), error: UnfoldError, op: "hopfieldStep", mentions: ["hopfieldEnergy", "undefined"] },
  {
    name: "a run with queries of the wrong dimension",
    call: () => runWith({ data: 10, shape: [2, 5] }, { data: 12, shape: [3, 4] }),
    error: UnfoldError,
    op: "hopfield",
    mentions: ["[..., 4]", "[2, 5]", "term 'hopfield'"],
  },
  {
    name: "a run with one query and no batch axis",
    call: () => runWith({ data: 4, shape: [4] }, { data: 12, shape: [3, 4] }),
    error: UnfoldError,
    op: "hopfield",
    mentions: ["batch axis", "[4]"],
  },
  {
    name: "a run with patterns of the wrong dimension",
    call: () => runWith({ data: 8, shape: [2, 4] }, { data: 15, shape: [3, 5] }),
    error: FeedError,
    op: "params",
    mentions: ["'X'", "[3, 5]", "[3, 4]"],
  },
];

describe("Hopfield energy bad inputs", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    expect(await tryBadInput(c)).toEqual({ kind: "clear" });
  });
});
