import type { TrainableSpecs } from "@unfold/nn";

/** One Yang layer's trainable weights: W_a per head, M (W_f = boundedSpectrumWeight(M)) and b. */
export function yangLayerSpecs(dim: number, heads: number, headDim: number): TrainableSpecs {
  return {
    Wa: { shape: [heads, headDim, dim], init: { kind: "identity", noise: 0.5 / Math.sqrt(dim) } },
    M: { shape: [dim, dim], init: { kind: "normal", std: 0.5 / Math.sqrt(dim) } },
    b: { shape: [dim], init: { kind: "zeros" } },
  };
}
