/** Sizes, shapes and hyperparameters of the benchmark workloads. */

/** A model size: `batch` sequences of `tokens` tokens of dimension `dim`. */
export interface SizeSpec {
  readonly name: string;
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
  /** Unfolded layers (default LAYERS). */
  readonly layers?: number;
  /** Part of the reduced `--quick` set. */
  readonly quick?: boolean;
  /** Runs only when `--size` names it (its float64 reference alone takes minutes). */
  readonly onRequest?: boolean;
}

/**
 * The named sizes. `large` doubles the sequence length and the batch of `medium`: attention's
 * token-by-token products grow 8x, the rest 4x (32 GFLOP a forward). Its float64 reference
 * takes over a minute a forward here, so it runs only when named.
 */
export const DEFAULT_SIZES: readonly SizeSpec[] = [
  { name: "small", batch: 8, tokens: 128, dim: 64, quick: true },
  { name: "medium", batch: 1, tokens: 512, dim: 256 },
  { name: "large", batch: 2, tokens: 1024, dim: 256, onRequest: true },
];

/** The size `--batch --tokens --dim --layers` describe, the flags not given taken from `base`. */
export function customSize(flags: { batch?: number; tokens?: number; dim?: number; layers?: number }, base: SizeSpec): SizeSpec {
  const batch = flags.batch ?? base.batch;
  const tokens = flags.tokens ?? base.tokens;
  const dim = flags.dim ?? base.dim;
  const layers = flags.layers ?? base.layers ?? LAYERS;
  return { name: `custom b${batch} t${tokens} d${dim} L${layers}`, batch, tokens, dim, layers };
}

/** The matmul workload's shape: [m, k] x [k, n]. It does not vary with the size. */
export interface MatmulShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

export const DEFAULT_MATMUL: MatmulShape = { m: 512, k: 512, n: 512 };

/** Depth of the unfolded Yang model: 12 tied layers, as in the paper. */
export const LAYERS = 12;

/** Classes of the train-step workload's linear head. */
export const CLASSES = 10;

export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const ADAM: AdamConfig = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** The seed every input is drawn from, so every engine and every run sees the same numbers. */
export const SEED = 20221128;
