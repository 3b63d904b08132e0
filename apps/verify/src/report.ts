import { closedFormStepError, mmDescentTrials, transformerLayerError } from "@unfold/energies/fidelity";
import { unfoldMnist } from "./mnist-unfolding.js";

export interface FidelityReport {
  /** Worst relative error, closed-form attention step vs preconditioned autodiff step (float64). */
  readonly closedFormStepRelErr: number;
  /** Worst relative error, unfolded layer vs independent standard Transformer layer (float64). */
  readonly transformerLayerRelErr: number;
  readonly mmTrials: number;
  readonly mmIncreases: number;
  readonly plainSoftmaxIncreases: number;
  /** Layers 0..12 of the tied Yang unfolding on bundled MNIST tokens. */
  readonly unfolded: readonly { layer: number; energy: number; terms: Record<string, number> }[];
}

/** Instances spanning the sizes the MM trials draw from: (n, d) and seeds. */
const INSTANCES: readonly [number, number][] = [
  [3, 2],
  [9, 5],
  [16, 8],
  [20, 10],
];
const SEEDS = [1, 2, 3];

export async function fidelityReport(options: { onProgress?: (message: string) => void } = {}): Promise<FidelityReport> {
  const progress = options.onProgress ?? (() => undefined);
  let closedFormStepRelErr = 0;
  let transformerLayerRelErr = 0;
  for (const [n, d] of INSTANCES) {
    for (const seed of SEEDS) {
      closedFormStepRelErr = Math.max(closedFormStepRelErr, closedFormStepError({ seed, n, d }));
      transformerLayerRelErr = Math.max(transformerLayerRelErr, transformerLayerError({ seed, n, d }));
    }
  }
  progress(`closed-form and layer checks: ${INSTANCES.length * SEEDS.length} instances each`);
  const trials = mmDescentTrials({ trials: 2000, onProgress: (done) => progress(`MM descent trials: ${done}/2000`) });
  const { trace } = await unfoldMnist({ layers: 12, onLayer: (r) => progress(`MNIST unfolding: layer ${r.layer}/12`) });
  return {
    closedFormStepRelErr,
    transformerLayerRelErr,
    mmTrials: trials.trials,
    mmIncreases: trials.mmIncreases,
    plainSoftmaxIncreases: trials.plainSoftmaxIncreases,
    unfolded: trace.layers.map((l) => ({ layer: l.layer, energy: l.energy, terms: { ...l.terms } })),
  };
}
