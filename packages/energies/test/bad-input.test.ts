import { type Energy, Graph, UnfoldError, hostTensor } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  attentionEnergy,
  boundedSpectrumWeight,
  energyTransformerEnergy,
  energyTransformerStep,
  feedForwardEnergy,
  feedForwardStep,
  feedForwardStepBound,
  initEnergyTransformerParams,
  initYangParams,
  normalizeTokens,
  plainSoftmaxStep,
  safeFeedForwardStepSize,
  spectralRadiusBound,
  tokenNormalizationStep,
  yangEnergy,
  yangLayerSteps,
} from "../src/index.js";
import { type BadInput, tryBadInput } from "@unfold/testing/bad-input";

// Each case makes one mistake with the energy library's options and asserts that the call fails
// at once, naming the function, the option and the value (the table's runner is core's).

const bad = <T>(value: unknown): T => value as T;
const yang = (): Energy => yangEnergy({ dim: 4 });
const et = { dim: 4, heads: 1, headDim: 2, memories: 3 };
const matrix = (rows: number, cols: number) => new Graph().leaf("input", "M", [rows, cols], "float64");

const cases: BadInput[] = [
  { name: "yangEnergy with dim 0", call: () => yangEnergy({ dim: 0 }), error: UnfoldError, op: "yangEnergy", mentions: ["config.dim", "0"] },
  { name: "yangEnergy with a misspelt option", call: () => yangEnergy(bad({ dim: 4, head: 2 })), error: UnfoldError, op: "yangEnergy", mentions: ["'head'", "heads"] },
  { name: "yangEnergy without a config", call: () => yangEnergy(bad(undefined)), error: UnfoldError, op: "yangEnergy", mentions: ["config", "undefined"] },
  { name: "yangEnergy with fractional heads", call: () => yangEnergy({ dim: 4, heads: 1.5 }), error: UnfoldError, op: "yangEnergy", mentions: ["config.heads", "1.5"] },
  { name: "attentionEnergy with dim given as a string", call: () => attentionEnergy(bad({ dim: "4" })), error: UnfoldError, op: "attentionEnergy", mentions: ["config.dim", "'4'"] },
  { name: "attentionEnergy with an empty term name", call: () => attentionEnergy({ dim: 4, name: "" }), error: UnfoldError, op: "attentionEnergy", mentions: ["config.name", "''"] },
  { name: "feedForwardEnergy with a misspelt option", call: () => feedForwardEnergy(bad({ dim: 4, nam: "ff" })), error: UnfoldError, op: "feedForwardEnergy", mentions: ["'nam'", "name"] },
  { name: "feedForwardEnergy with a negative dim", call: () => feedForwardEnergy({ dim: -2 }), error: UnfoldError, op: "feedForwardEnergy", mentions: ["config.dim", "-2"] },
  {
    name: "yangLayerSteps without a feed-forward step size",
    call: () => yangLayerSteps(yang(), bad({})),
    error: UnfoldError,
    op: "yangLayerSteps",
    mentions: ["feedForwardStepSize", "undefined"],
  },
  {
    name: "yangLayerSteps with an unknown gradient",
    call: () => yangLayerSteps(yang(), bad({ feedForwardStepSize: 0.1, feedForwardGradient: "auto" })),
    error: UnfoldError,
    op: "yangLayerSteps",
    mentions: ["feedForwardGradient", "'auto'", "'closedForm'", "'autodiff'"],
  },
  {
    name: "yangLayerSteps with a NaN attention step size",
    call: () => yangLayerSteps(yang(), { feedForwardStepSize: 0.1, attentionStepSize: NaN }),
    error: UnfoldError,
    op: "yangLayerSteps",
    mentions: ["attentionStepSize", "NaN"],
  },
  {
    name: "yangLayerSteps with a misspelt option",
    call: () => yangLayerSteps(yang(), bad({ feedforwardStepSize: 0.1, feedForwardStepSize: 0.1 })),
    error: UnfoldError,
    op: "yangLayerSteps",
    mentions: ["'feedforwardStepSize'", "feedForwardStepSize"],
  },
  {
    name: "yangLayerSteps on an energy without an attention term",
    call: () => yangLayerSteps(feedForwardEnergy({ dim: 4 }), { feedForwardStepSize: 0.1 }),
    error: UnfoldError,
    op: "energy",
    mentions: ["'yang-feed-forward'", "'attention'"],
  },
  {
    name: "feedForwardStep with an unknown gradient",
    call: () => feedForwardStep(yang(), bad({ stepSize: 0.1, gradient: "exact" })),
    error: UnfoldError,
    op: "feedForwardStep",
    mentions: ["options.gradient", "'exact'"],
  },
  { name: "feedForwardStep with a zero step size", call: () => feedForwardStep(yang(), { stepSize: 0 }), error: UnfoldError, op: "feedForwardStep", mentions: ["stepSize", "0"] },
  { name: "plainSoftmaxStep with a negative step size", call: () => plainSoftmaxStep(yang(), { stepSize: -1 }), error: UnfoldError, op: "plainSoftmaxStep", mentions: ["stepSize", "-1"] },
  { name: "initYangParams with a NaN attention scale", call: () => initYangParams({ dim: 4 }, { attentionScale: NaN }), error: UnfoldError, op: "initYangParams", mentions: ["options.attentionScale", "NaN"] },
  { name: "initYangParams with a negative bias scale", call: () => initYangParams({ dim: 4 }, { biasScale: -1 }), error: UnfoldError, op: "initYangParams", mentions: ["options.biasScale", "-1"] },
  { name: "initYangParams with a fractional seed", call: () => initYangParams({ dim: 4 }, { seed: 1.5 }), error: UnfoldError, op: "initYangParams", mentions: ["options.seed", "1.5"] },
  { name: "initYangParams with an unknown dtype", call: () => initYangParams({ dim: 4 }, bad({ dtype: "float16" })), error: UnfoldError, op: "initYangParams", mentions: ["options.dtype", "'float16'"] },
  { name: "initYangParams with dim 0", call: () => initYangParams({ dim: 0 }), error: UnfoldError, op: "initYangParams", mentions: ["config.dim", "0"] },
  { name: "initYangParams with a spectrum of 1", call: () => initYangParams({ dim: 4 }, { spectrum: 1 }), error: UnfoldError, op: "initYangParams", mentions: ["options.spectrum", "1"] },
  { name: "initYangParams with a misspelt option", call: () => initYangParams({ dim: 4 }, bad({ sead: 3 })), error: UnfoldError, op: "initYangParams", mentions: ["'sead'", "seed"] },
  {
    name: "safeFeedForwardStepSize without Wf",
    call: () => safeFeedForwardStepSize({ b: hostTensor([0, 0], [2]) }, 2),
    error: UnfoldError,
    op: "safeFeedForwardStepSize",
    mentions: ["'Wf'", "undefined"],
  },
  {
    name: "feedForwardStepBound with a Wf of the wrong size",
    call: () => feedForwardStepBound([1, 0, 0, 1], 3),
    error: UnfoldError,
    op: "feedForwardStepBound",
    mentions: ["Wf", "9", "4 values"],
  },
  { name: "tokenNormalizationStep with an unknown metric", call: () => tokenNormalizationStep(bad({ metric: "cosine" })), error: UnfoldError, op: "tokenNormalizationStep", mentions: ["options.metric", "'cosine'"] },
  { name: "tokenNormalizationStep with a zero radius", call: () => tokenNormalizationStep({ radius: 0 }), error: UnfoldError, op: "tokenNormalizationStep", mentions: ["options.radius", "0"] },
  { name: "normalizeTokens with a misspelt option", call: () => normalizeTokens(matrix(3, 4), bad({ radus: 2 })), error: UnfoldError, op: "normalizeTokens", mentions: ["'radus'", "radius"] },
  { name: "energyTransformerEnergy with a NaN eps", call: () => energyTransformerEnergy({ ...et, eps: NaN }), error: UnfoldError, op: "energyTransformerEnergy", mentions: ["config.eps", "NaN"] },
  { name: "energyTransformerEnergy with beta as a string", call: () => energyTransformerEnergy(bad({ ...et, beta: "1" })), error: UnfoldError, op: "energyTransformerEnergy", mentions: ["config.beta", "'1'"] },
  { name: "energyTransformerEnergy without memories", call: () => energyTransformerEnergy(bad({ dim: 4, heads: 1, headDim: 2 })), error: UnfoldError, op: "energyTransformerEnergy", mentions: ["config.memories", "undefined"] },
  {
    name: "energyTransformerStep with a zero step size",
    call: () => energyTransformerStep(energyTransformerEnergy(et), { stepSize: 0 }),
    error: UnfoldError,
    op: "energyTransformerStep",
    mentions: ["stepSize", "0"],
  },
  {
    name: "initEnergyTransformerParams with an unknown dtype",
    call: () => initEnergyTransformerParams(et, bad({ dtype: "int8" })),
    error: UnfoldError,
    op: "initEnergyTransformerParams",
    mentions: ["options.dtype", "'int8'"],
  },
  { name: "boundedSpectrumWeight with a radius of 1", call: () => boundedSpectrumWeight(matrix(2, 2), 1), error: UnfoldError, op: "boundedSpectrumWeight", mentions: ["radius", "1"] },
  { name: "spectralRadiusBound with a power of 3", call: () => spectralRadiusBound(matrix(3, 3), { power: 3 }), error: UnfoldError, op: "spectralRadiusBound", mentions: ["options.power", "3"] },
];


describe("bad input: the energy library", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const outcome = await tryBadInput(c);
    expect(outcome, outcome.kind === "unclear" ? outcome.detail : outcome.kind).toEqual({ kind: "clear" });
  });
});

