import { type Tensor, ops, sigmoid } from "@unfold/core";
import type { TrainableSpecs } from "@unfold/nn";

/** The logit whose sigmoid is `fraction`: learned step sizes start at the configured fraction. */
export const logit = (fraction: number): number => Math.log(fraction / (1 - fraction));

/**
 * Step sizes as fractions of their descent bounds, one per layer: bound * sigmoid(theta_l) when
 * learned (so no optimizer update can leave (0, bound)), bound * fraction when fixed.
 */
export interface StepSizes {
  readonly specs: TrainableSpecs;
  /** Layer `layer`'s step size as a scalar tensor of `like`'s dtype. */
  at(layer: number, params: Record<string, Tensor>, like: Tensor): Tensor;
}

/** Step sizes named `name`, one per layer, inside (0, bound): learned through a sigmoid, or fixed at bound * fraction. */
export function stepSizes(name: string, options: { layers: number; bound: number; learned: boolean; fraction: number }): StepSizes {
  const { layers, bound, learned, fraction } = options;
  const param = `steps.${name}`;
  return {
    specs: learned ? { [param]: { shape: [layers], init: { kind: "constant", value: logit(fraction) }, decay: false } } : {},
    at: (layer, params, like) => {
      if (!learned) return like.graph.constant(bound * fraction, [], like.dtype);
      const theta = ops.reshape(ops.slice(params[param]!, [layer], [1]), []);
      return ops.mul(sigmoid(theta), bound);
    },
  };
}
