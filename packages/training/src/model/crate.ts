import type { Tensor } from "@unfold/core";
import { istaBlock, mssaUpdate } from "@unfold/energies";
import { type TrainableSpecs, countParams, mergeSpecs, prefixSpecs } from "@unfold/nn";
import type { CrateModelConfig } from "../config/schema.js";
import type { TaskData } from "../task/task.js";
import { inputOutput } from "./embedding.js";
import { type TrainerModel, layerPrefix } from "./model.js";

/** The token representations of every layer: what the coding-rate and sparsity report measures. */
export interface CrateLayerStates {
  /** Z^0, the embedded tokens [batch, n, d]. */
  readonly input: Tensor;
  /** Z^(l+1/2), the MSSA output of layer l. */
  readonly compressed: readonly Tensor[];
  /** Z^(l+1), the ISTA output of layer l. */
  readonly sparse: readonly Tensor[];
}

export interface CrateTrainerModel extends TrainerModel {
  readonly kind: "crate";
  /** Layer l's subspace bases U [heads, dim, headDim], as a parameter name. */
  basisName(layer: number): string;
  /** The token representations of every layer (Z^0, each MSSA and ISTA output), for the coding-rate and sparsity figures. */
  layerStates(input: Tensor, params: Record<string, Tensor>): CrateLayerStates;
}

/**
 * CRATE (Yu et al., white-box transformer via sparse rate reduction). Per layer, with its own
 * subspace bases U [K, d, p] and dictionary D [d, d] (or one shared set when tied):
 *   MSSA  Z^(l+1/2) = (1 - kappa c) Z^l + kappa c MSSA(Z^l | U), c = p / (n eps^2): the paper's
 *         approximate gradient step on the compression term R^c;
 *   ISTA  Z^(l+1) = ReLU(Z^(l+1/2) + eta (Z^(l+1/2) - Z^(l+1/2) D^T) D - eta lambda): one
 *         proximal step of non-negative sparse coding of Z^(l+1/2) in D, from Z = Z^(l+1/2).
 * Both come from @unfold/energies (istaBlock is the sparse-coding energy's ISTA step at Z = X, in
 * closed form: tested against the step, whose gradient autodiff derives). Neither step descends a fixed energy across layers (the ISTA
 * objective is anchored at each layer's own input), so the model reports the coding rate and
 * sparsity of its representations by layer instead of an energy trace.
 */
export function crateModel(config: CrateModelConfig, task: TaskData): CrateTrainerModel {
  const { dim, layers, heads, tied, eps, lambda } = config;
  const headDim = config.headDim ?? dim / heads;
  // Flatten by default: where a patch's features sit is what tells digits apart. Per-token
  // targets get a per-token head either way.
  const io = inputOutput(task, dim, config.head ?? "flatten");

  const layerSpecs: TrainableSpecs = {
    U: { shape: [heads, dim, headDim], init: { kind: "normal", std: 1 / Math.sqrt(dim) } },
    // Near the identity, CRATE's ISTA block starts close to the soft threshold ReLU(Z - eta lambda).
    D: { shape: [dim, dim], init: { kind: "identity", noise: 0.1 / Math.sqrt(dim) } },
  };
  const sets = tied ? 1 : layers;
  const specs = mergeSpecs(io.specs, ...Array.from({ length: sets }, (_, l) => prefixSpecs(layerPrefix(tied, l), layerSpecs)));
  const basisName = (l: number): string => `${layerPrefix(tied, l)}.U`;

  const layerStates = (input: Tensor, p: Record<string, Tensor>): CrateLayerStates => {
    const Z0 = io.embed(input, p);
    const compressed: Tensor[] = [];
    const sparse: Tensor[] = [];
    let Z = Z0;
    for (let l = 0; l < layers; l++) {
      const prefix = layerPrefix(tied, l);
      const half = mssaUpdate(Z, p[`${prefix}.U`]!, eps, config.mssaStep);
      compressed.push(half);
      // ISTA codes the compressed tokens themselves: X = Z^(l+1/2), starting from Z = X.
      Z = istaBlock(half, p[`${prefix}.D`]!, config.istaStep, lambda);
      sparse.push(Z);
    }
    return { input: Z0, compressed, sparse };
  };

  return {
    kind: "crate",
    specs,
    layers,
    basisName,
    layerStates,
    logits: (input, p) => io.head(layerStates(input, p).sparse.at(-1)!, p),
    describe: () =>
      `CRATE: ${layers} ${tied ? "tied" : "untied"} MSSA + ISTA layers, dim ${dim}, ${heads} subspaces of ${headDim}, ` +
      `lambda ${lambda}, ${countParams(specs).toLocaleString("en-US")} parameters`,
  };
}
