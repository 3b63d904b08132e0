import { type DType, type Energy, type HostTensor, type ParamValues, type Step, hostTensor } from "@unfold/core";
import { feedForwardStepBound, initYangParams, yangEnergy, yangLayerSteps } from "@unfold/energies";

/** The Yang et al. energy at dimension `dim` with its seeded parameters and the layer steps the demo uses. */
export interface YangModel {
  readonly energy: Energy;
  readonly params: ParamValues;
  readonly steps: readonly Step[];
  readonly feedForwardStepSize: number;
  readonly feedForwardStepBound: number;
}

/**
 * The demo's model: parameters drawn from `seed`, the softmax_beta MM attention step, then the
 * ReLU feed-forward step at 1/L, half the descent bound 2/L of docs/mathematics.md, 'Yang feed-forward energy'. `pnpm unfold` unfolds it
 * and `pnpm unfold export` writes it as ONNX, so both go through here.
 */
export function yangModel(dim: number, seed: number): YangModel {
  const params = initYangParams({ dim }, { seed });
  const bound = feedForwardStepBound(params["Wf"]!.data, dim).bound;
  const feedForwardStepSize = bound / 2;
  const energy = yangEnergy({ dim });
  return { energy, params, steps: yangLayerSteps(energy, { feedForwardStepSize }), feedForwardStepSize, feedForwardStepBound: bound };
}

/** Parameter values in `dtype` (a program's feeds must match its dtype; float32 rounds once, here). */
export function paramsIn(params: ParamValues, dtype: DType): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(params).map(([name, t]) => [name, hostTensor(t.data, t.shape, dtype)]));
}
