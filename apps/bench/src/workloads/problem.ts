import type { AdamConfig } from "../config.js";

export const WORKLOADS = ["matmul", "unfold-forward", "train-step", "hessian-block"] as const;
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
 */
export interface ForwardProblem {
  readonly kind: "unfold-forward";
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

export type Problem = MatmulProblem | ForwardProblem | TrainProblem;

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
      return ["state"];
    case "train-step":
      return trainOutputNames();
  }
}

/** The bias corrections of Adam step t (t >= 1). */
export function adamCorrections(adam: AdamConfig, step: number): { correction1: number; correction2: number } {
  return { correction1: 1 - adam.beta1 ** step, correction2: 1 - adam.beta2 ** step };
}
