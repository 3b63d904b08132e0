import { type Energy, type Tensor, activated, termValues, totalOf } from "@unfold/core";
import { energyTransformerEnergy, energyTransformerStep } from "@unfold/energies";
import { type TrainableSpecs, countParams, mergeSpecs, prefixSpecs } from "@unfold/nn";
import type { EnergyTransformerModelConfig } from "../config/schema.js";
import type { TaskData } from "../task/task.js";
import { inputOutput } from "./embedding.js";
import type { EnergyTrace, TrainerModel } from "./model.js";
import { stepSizes } from "./step-size.js";

/**
 * The Energy Transformer (Hoover et al.): one energy, recurrent by design (tied weights), its
 * dynamics x <- x - alpha dE/dg derived by autodiff through g = LayerNorm(x). The head reads the
 * activation g of the final state. A learned step is (2 * stepSize) sigmoid(theta), starting at
 * stepSize; the energy has no closed-form step bound, so its descent is measured, not promised.
 */
export function energyTransformerModel(config: EnergyTransformerModelConfig, task: TaskData): TrainerModel {
  const { dim, layers, heads, headDim, memories } = config;
  const io = inputOutput(task, dim, config.head);
  const energy: Energy = energyTransformerEnergy({ dim, heads, headDim, memories });
  const step = energyTransformerStep(energy, { stepSize: config.stepSize });
  const alpha = stepSizes("descent", { layers, bound: 2 * config.stepSize, learned: config.learnedStep, fraction: 0.5 });
  const scale = 1 / Math.sqrt(dim);
  const energySpecs: TrainableSpecs = {
    Wq: { shape: [heads, headDim, dim], init: { kind: "normal", std: scale } },
    Wk: { shape: [heads, headDim, dim], init: { kind: "normal", std: scale } },
    xi: { shape: [memories, dim], init: { kind: "normal", std: scale } },
    lnGain: { shape: [], init: { kind: "ones" }, decay: false },
    lnBias: { shape: [dim], init: { kind: "zeros" } },
  };
  const specs = mergeSpecs(io.specs, alpha.specs, prefixSpecs("et", energySpecs));
  const energyParams = (p: Record<string, Tensor>): Record<string, Tensor> =>
    Object.fromEntries(Object.keys(energySpecs).map((name) => [name, p[`et.${name}`]!]));

  const run = (input: Tensor, p: Record<string, Tensor>, record?: { before: Tensor[]; after: Tensor[] }): Tensor => {
    let x = io.embed(input, p);
    const e = energyParams(p);
    const energyAt = (state: Tensor): Tensor => totalOf(termValues(energy, state, e));
    for (let l = 0; l < layers; l++) {
      record?.before.push(energyAt(x));
      x = step.apply(x, e, alpha.at(l, p, x));
      record?.after.push(energyAt(x));
    }
    return x;
  };
  const headInput = (x: Tensor, p: Record<string, Tensor>): Tensor => activated(energy, x, energyParams(p));

  return {
    kind: "energy-transformer",
    specs,
    layers,
    logits: (input, p) => io.head(headInput(run(input, p), p), p),
    energyTrace: (input, p): EnergyTrace => {
      const record = { before: [] as Tensor[], after: [] as Tensor[] };
      run(input, p, record);
      return record;
    },
    describe: () =>
      `Energy Transformer: ${layers} descent steps, dim ${dim}, ${heads} heads of ${headDim}, ${memories} memories, ` +
      `${countParams(specs).toLocaleString("en-US")} parameters`,
  };
}
