import { type DType, defineUnfolding, hostTensor, scalarTensor, stepProgram, unfoldedProgram } from "@unfold/core";
import {
  energyTransformerEnergy,
  energyTransformerStep,
  initEnergyTransformerParams,
  initYangParams,
  safeFeedForwardStepSize,
  yangEnergy,
  yangLayerSteps,
} from "@unfold/energies";
import { type BuiltProgram, type ConformanceCase, programCase } from "../case.js";
import { TOLERANCES } from "../check.js";
import { normals } from "../generate.js";

/**
 * Whole models as the framework emits them: the tied 12-layer Yang et al. unfolding with its
 * energy after every layer (thousands of nodes; what `pnpm start` runs), an untied one with
 * damped attention, and one Energy Transformer descent step (autodiff through a layer norm).
 */

function yangUnfolding(dtype: DType, options: { layers: number; tied: boolean; damping?: number; seed: number }, tokens: Float64Array): BuiltProgram {
  const [batch, n, dim] = [2, 16, 8];
  const energy = yangEnergy({ dim });
  const paramSets = Array.from({ length: options.tied ? 1 : options.layers }, (_, l) => initYangParams({ dim }, { seed: options.seed + l, dtype }));
  const steps = yangLayerSteps(energy, {
    feedForwardStepSize: Math.min(...paramSets.map((p) => safeFeedForwardStepSize(p, dim))),
    ...(options.damping !== undefined ? { attentionStepSize: options.damping } : {}),
  });
  const unfolding = defineUnfolding({ energy, steps, layers: options.layers, tiedWeights: options.tied });
  const program = unfoldedProgram(unfolding, [batch, n, dim], dtype, { energies: true });
  const params = options.tied
    ? paramSets[0]!
    : Object.fromEntries(paramSets.flatMap((set, l) => Object.entries(set).map(([name, value]) => [`${name}.${l}`, value])));
  const state = hostTensor(tokens, [batch, n, dim], dtype);
  const label = `${options.layers} ${options.tied ? "tied" : "untied"} layers, state [${batch}, ${n}, ${dim}]`;
  return { program, feeds: { state, ...params }, label };
}

const tokens = (rng: { normal(): number }, size: number): Float64Array => Float64Array.from({ length: size }, () => Math.abs(rng.normal()));

const yangTied = programCase("models", {
  name: "12-layer tied Yang et al. unfolding with energies (16 tokens x 8, batch 2)",
  tolerance: TOLERANCES.unfolding,
  build: (dtype, rng) => yangUnfolding(dtype, { layers: 12, tied: true, seed: 1 }, tokens(rng, 2 * 16 * 8)),
});

const yangUntied = programCase("models", {
  name: "3-layer untied Yang et al. unfolding with damped attention",
  tolerance: TOLERANCES.unfolding,
  build: (dtype, rng) => yangUnfolding(dtype, { layers: 3, tied: false, damping: 0.5, seed: 20 }, tokens(rng, 2 * 16 * 8)),
});

const energyTransformer = programCase("models", {
  name: "one Energy Transformer descent step (2 heads, 6 memories)",
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const config = { dim: 8, heads: 2, headDim: 4, memories: 6 };
    const energy = energyTransformerEnergy(config);
    const step = energyTransformerStep(energy, { stepSize: 0.1 });
    const shape = [2, 6, 8];
    const params = { ...initEnergyTransformerParams(config, { seed: 3, dtype }), lnGain: scalarTensor(1.3, dtype) };
    const state = hostTensor(normals(rng, 2 * 6 * 8), shape, dtype);
    return { program: stepProgram(energy, step, shape, dtype), feeds: { state, stepSize: scalarTensor(0.1, dtype), ...params }, label: "state [2, 6, 8]" };
  },
});

/** The `models` group: a 12-layer unfolding and model pieces. */
export function modelCases(): ConformanceCase[] {
  return [yangTied, yangUntied, energyTransformer];
}
