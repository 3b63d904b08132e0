import { type Energy, type ParamValues, Random, defineUnfolding, energyProgram, hostTensor, interpret, relativeError, runUnfolding, ReferenceBackend, stepProgram } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { energyTransformerEnergy, energyTransformerStep, initEnergyTransformerParams, lagrangianEnergyTransformer, lagrangianStep } from "../src/index.js";
import { type Values, evaluate, mapRows } from "./lagrangian-helpers.js";

const config = { dim: 6, heads: 2, headDim: 3, memories: 5 } as const;
const alpha = 0.1;
// Random instances: one sequence of tokens, and a batch of two sequences.
const SHAPES = [
  [5, config.dim],
  [3, config.dim],
  [2, 4, config.dim],
] as const;

function instance(seed: number, shape: readonly number[], eps = 1e-5): { x: Float64Array; params: Values } {
  const rng = new Random(seed);
  const params: Values = Object.fromEntries(Object.entries(initEnergyTransformerParams({ ...config, eps }, { seed })).map(([k, v]) => [k, Float64Array.from(v.data)]));
  params["lnGain"] = Float64Array.from([0.5 + rng.uniform()]);
  params["lnBias"] = rng.normals(config.dim, 0.3);
  return { x: rng.normals(shape.reduce((a, b) => a * b, 1), 1.5), params };
}

/** Float64 values as the host parameters of an energy, by its (typed) parameter names. */
function hostParams<N extends string>(energy: Energy<N>, values: Values): ParamValues<N> {
  const specs = energy.params as Readonly<Record<string, { shape: readonly number[] }>>;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, hostTensor(v, specs[k]!.shape)])) as ParamValues<N>;
}

const run = (program: Parameters<typeof interpret>[0], feeds: Values): Map<string, Float64Array> => interpret(program, new Map(Object.entries(feeds)));

describe("the Energy Transformer as a Lagrangian network (float64, random instances)", () => {
  const et = energyTransformerEnergy(config);
  const network = lagrangianEnergyTransformer(config);
  const leaky = lagrangianEnergyTransformer(config, { neuronEnergy: true });

  it("has the Energy Transformer's terms and parameters", () => {
    expect(network.energy.terms.map((t) => t.name)).toEqual(et.terms.map((t) => t.name));
    expect(leaky.energy.terms.map((t) => t.name)).toEqual(["neuron:tokens", ...et.terms.map((t) => t.name)]);
    expect(network.energy.params).toEqual(et.params);
  });

  SHAPES.forEach((shape, i) => {
    const { x, params } = instance(100 + i, shape);
    const at = `[${shape.join(", ")}]`;

    it(`${at}: the same energy, term by term`, () => {
      const ours = run(energyProgram(network.energy, shape, "float64"), { state: x, ...params });
      const theirs = run(energyProgram(et, shape, "float64"), { state: x, ...params });
      for (const out of ["energy", "term:attention", "term:hopfield"]) {
        expect(relativeError(ours.get(out)!, theirs.get(out)!), out).toBeLessThanOrEqual(1e-12);
      }
    });

    it(`${at}: the same activation: dL/dx of the layer-norm Lagrangian is the Energy Transformer's LayerNorm`, () => {
      const out = evaluate(et, shape, { x, ...params }, (s, p) => ({ ours: network.activations(s, p)["tokens"]!, theirs: et.activation!(s, p) }));
      expect(relativeError(out["ours"]!, out["theirs"]!)).toBeLessThanOrEqual(1e-12);
    });

    it(`${at}: the same step output`, () => {
      const feeds = { state: x, stepSize: Float64Array.from([alpha]), ...params };
      const ours = run(stepProgram(network.energy, lagrangianStep(network, { stepSize: alpha }), shape, "float64"), feeds).get("state")!;
      const theirs = run(stepProgram(et, energyTransformerStep(et, { stepSize: alpha }), shape, "float64"), feeds).get("state")!;
      expect(relativeError(ours, theirs)).toBeLessThanOrEqual(1e-12);
    });

    it(`${at}: with its neuron energy, the step is the Energy Transformer's minus alpha x (dE_neuron/dg = x)`, () => {
      const feeds = { state: x, stepSize: Float64Array.from([alpha]), ...params };
      const ours = run(stepProgram(leaky.energy, lagrangianStep(leaky, { stepSize: alpha }), shape, "float64"), feeds).get("state")!;
      const theirs = run(stepProgram(et, energyTransformerStep(et, { stepSize: alpha }), shape, "float64"), feeds).get("state")!;
      expect(relativeError(ours, theirs.map((v, k) => v - alpha * x[k]!))).toBeLessThanOrEqual(1e-12);
    });
  });

  it("with its neuron energy, the energy adds -gamma D eps sum_tokens (var + eps)^-1/2 to the Energy Transformer's", () => {
    // A larger eps than the default keeps the neuron term well above the rounding of <x, g> - L(x).
    const eps = 1e-2;
    const shape = [2, 4, config.dim];
    const { x, params } = instance(7, shape, eps);
    const ours = run(energyProgram(lagrangianEnergyTransformer({ ...config, eps }, { neuronEnergy: true }).energy, shape, "float64"), { state: x, ...params });
    const theirs = run(energyProgram(energyTransformerEnergy({ ...config, eps }), shape, "float64"), { state: x, ...params });
    const gamma = params["lnGain"]![0]!;
    const perToken = mapRows(x, config.dim, (row) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      return [(-gamma * config.dim * eps) / Math.sqrt(variance + eps), ...new Array<number>(config.dim - 1).fill(0)];
    });
    const neuron = perToken.reduce((a, b) => a + b, 0);
    expect(ours.get("term:neuron:tokens")![0]!).toBeCloseTo(neuron, 11);
    for (const out of ["term:attention", "term:hopfield"]) expect(relativeError(ours.get(out)!, theirs.get(out)!), out).toBeLessThanOrEqual(1e-12);
    expect(ours.get("energy")![0]!).toBeCloseTo(theirs.get("energy")![0]! + neuron, 11);
  });

  it("with its neuron energy, 12 steps of 0.1 descend the whole energy under a throwing guard", async () => {
    const shape = [2, 4, config.dim];
    const { x, params } = instance(9, shape);
    const unfolding = defineUnfolding({ energy: leaky.energy, steps: [lagrangianStep(leaky, { stepSize: alpha })], layers: 12, guard: { mode: "throw", watch: "total" } });
    const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), {
      state: hostTensor(x, shape),
      params: hostParams(leaky.energy, params),
    });
    for (let l = 1; l < trace.layers.length; l++) expect(trace.layers[l]!.energy).toBeLessThan(trace.layers[l - 1]!.energy);
  });
});
