import type { AdamConfig } from "../config.js";

/** In the report's order: one product, one layer, the stack, training, then the autodiff and curvature workloads. */
export const WORKLOADS = ["matmul", "descent-step", "unfold-forward", "train-step", "energy-and-gradient", "hvp", "hessian-block"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/**
 * A host array shared by every engine: float64 storage holding float32-representable values, so
 * float32 engines and the float64 reference start from exactly the same numbers.
 */
export interface Array64 {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** The unfolded Yang model's shape and its two baked-in step sizes. */
export interface YangModel {
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
  readonly layers: number;
  /** Damping of the softmax_beta MM step: Y <- Y + alpha (softmax_beta(Y W_s Y^T) Y - Y). */
  readonly attentionStepSize: number;
  /** Y <- ReLU(Y - alpha (Y W_f + Y - 1 b^T)). */
  readonly feedForwardStepSize: number;
}

/** C = A B, float32. */
export interface MatmulProblem {
  readonly kind: "matmul";
  /** Shown in the size column: `m x k x n`. */
  readonly label: string;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly inputs: { readonly A: Array64; readonly B: Array64 };
}

/**
 * `layers` tied Yang layers on a batch of sequences [batch, tokens, dim]. Wa is [1, dim, dim]
 * (one head, W_s = Wa^T Wa), Wf [dim, dim] symmetric, b [dim]. Output: `state`.
 * `descent-step` is the same computation with one layer: a single descent step of the unfolding
 * (the softmax_beta MM step on E_att, then the ReLU projected-gradient step on E_ff), where
 * per-run overheads weigh twelve times more than in the stack.
 */
export interface ForwardProblem {
  readonly kind: "unfold-forward" | "descent-step";
  readonly label: string;
  readonly model: YangModel;
  readonly inputs: { readonly state: Array64; readonly Wa: Array64; readonly Wf: Array64; readonly b: Array64 };
}

/** The trained parameters, in a fixed order. Wf = (M + M^T) / 2 keeps W_f symmetric. */
export const TRAIN_PARAMS = ["Wa", "M", "b", "W", "c"] as const;
export type TrainParam = (typeof TRAIN_PARAMS)[number];

/**
 * One Adam step on: the forward above with Wf = (M + M^T) / 2, mean-pooling over tokens, a linear
 * head logits = pooled W + c (W [dim, classes], c [classes]) and the mean cross-entropy against
 * one-hot `labels` [batch, classes]. Outputs: `loss` (before the step), `new.<p>`, `m.<p>` and
 * `v.<p>` for every p in TRAIN_PARAMS, where step t has bias corrections 1 - beta^t and
 * p' = p - lr (m'/(1 - beta1^t)) / (sqrt(v'/(1 - beta2^t)) + eps), the form tf.train.adam uses.
 * Moments start at zero and the first step is t = 1.
 */
export interface TrainProblem {
  readonly kind: "train-step";
  readonly label: string;
  readonly model: YangModel;
  readonly classes: number;
  readonly adam: AdamConfig;
  readonly inputs: {
    readonly state: Array64;
    readonly labels: Array64;
    readonly Wa: Array64;
    readonly M: Array64;
    readonly b: Array64;
    readonly W: Array64;
    readonly c: Array64;
  };
}

/**
 * The Yang energy E = E_att + E_ff (docs/mathematics.md, 'Yang attention energy' and 'Yang feed-forward energy') of a batch of sequences, summed over the
 * batch, and its derivatives in the state, each engine differentiating with its own autodiff:
 * - `energy-and-gradient`: outputs `energy` (a scalar) and `grad` = dE/dY [batch, tokens, dim];
 * - `hvp`: output `hvp` = (d^2E/dY^2) V for the direction `direction` [batch, tokens, dim].
 * E_att = -1/2 sum_{i,j} exp(-z_ij) + n/2 per sequence, z_ij = 1/2 ||W_a (y_i - y_j)||^2;
 * E_ff = 1/2 tr(Y W_f Y^T) + 1/2 ||Y - 1 b^T||^2. The model's step sizes play no part.
 */
export interface EnergyProblem {
  readonly kind: "energy-and-gradient" | "hvp";
  readonly label: string;
  readonly model: YangModel;
  readonly inputs: {
    readonly state: Array64;
    readonly Wa: Array64;
    readonly Wf: Array64;
    readonly b: Array64;
    /** The hvp workload's direction V (absent for energy-and-gradient). */
    readonly direction?: Array64;
  };
}

export type Problem = MatmulProblem | ForwardProblem | TrainProblem | EnergyProblem;

/** Every engine returns its outputs under these names, as float64 copies. */
export type Outputs = Record<string, Float64Array>;

export function trainOutputNames(): string[] {
  return ["loss", ...TRAIN_PARAMS.flatMap((p) => [`new.${p}`, `m.${p}`, `v.${p}`])];
}

export function outputNames(problem: Problem): string[] {
  switch (problem.kind) {
    case "matmul":
      return ["C"];
    case "unfold-forward":
    case "descent-step":
      return ["state"];
    case "train-step":
      return trainOutputNames();
    case "energy-and-gradient":
      return ["energy", "grad"];
    case "hvp":
      return ["hvp"];
  }
}

/** The bias corrections of Adam step t (t >= 1). */
export function adamCorrections(adam: AdamConfig, step: number): { correction1: number; correction2: number } {
  return { correction1: 1 - adam.beta1 ** step, correction2: 1 - adam.beta2 ** step };
}
