import { type LayerRecord, ReferenceBackend, type UnfoldTrace, defineUnfolding, hostTensor, runUnfolding } from "@unfold/core";
import { MNIST_SIDE, loadMnist, patchTokens } from "@unfold/datasets";
import { yangModel } from "./yang-model.js";

export interface MnistUnfoldingOptions {
  readonly digits?: number;
  readonly layers?: number;
  readonly patch?: number;
  readonly seed?: number;
  readonly onLayer?: (record: LayerRecord) => void;
}

export interface MnistUnfoldingResult {
  readonly trace: UnfoldTrace;
  readonly tokens: { readonly batch: number; readonly n: number; readonly d: number };
  readonly feedForwardStepSize: number;
  readonly feedForwardStepBound: number;
}

/**
 * The Yang et al. energy unfolded for K tied layers on bundled MNIST digits, each cut into
 * patch tokens ([digits, (28/patch)^2, patch^2]): the softmax_beta MM attention step, then the
 * ReLU feed-forward step at 1/L, half the descent bound 2/L of docs/mathematics.md, 'Yang feed-forward energy'. Each step is
 * watched against its own term; a rise would be recorded as a warning.
 */
export async function unfoldMnist(options: MnistUnfoldingOptions = {}): Promise<MnistUnfoldingResult> {
  const digits = options.digits ?? 8;
  const patch = options.patch ?? 4;
  const { images } = loadMnist({ count: digits });
  const { tokens, n, d } = patchTokens(images, digits, MNIST_SIDE, patch);
  const { energy, params, steps, feedForwardStepSize, feedForwardStepBound: bound } = yangModel(d, options.seed ?? 0);
  const unfolding = defineUnfolding({
    energy,
    steps,
    layers: options.layers ?? 12,
    tiedWeights: true,
    guard: { mode: "warn", watch: "terms" },
  });
  const backend = new ReferenceBackend();
  try {
    const { trace } = await runUnfolding(unfolding, backend, {
      state: hostTensor(tokens, [digits, n, d]),
      params,
      ...(options.onLayer ? { onLayer: options.onLayer } : {}),
    });
    return { trace, tokens: { batch: digits, n, d }, feedForwardStepSize, feedForwardStepBound: bound };
  } finally {
    await backend.dispose();
  }
}
