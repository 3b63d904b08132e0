import { Random, hostTensor } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize } from "@unfold/energies";
import { ADAM, CLASSES, LAYERS, type MatmulShape, SEED, type SizeSpec } from "../config.js";
import type { Array64, EnergyProblem, ForwardProblem, MatmulProblem, TrainProblem, YangModel } from "./problem.js";

/** Rounds to float32, so a float32 engine receives exactly what the float64 reference does. */
function array(values: ArrayLike<number>, shape: readonly number[]): Array64 {
  return { data: Float64Array.from(values, Math.fround), shape: [...shape] };
}

export function matmulProblem(shape: MatmulShape, seed = SEED): MatmulProblem {
  const rng = new Random(seed);
  const { m, k, n } = shape;
  return {
    kind: "matmul",
    label: `${m}x${k}x${n}`,
    m,
    k,
    n,
    inputs: { A: array(rng.uniforms(m * k, -1, 1), [m, k]), B: array(rng.uniforms(k * n, -1, 1), [k, n]) },
  };
}

/**
 * Non-negative tokens (the feed-forward step's ReLU keeps the state there), uniform in
 * [0, 8/sqrt(d)): squared distances average 32/3 at every d, so a token gives each other token a
 * softmax_beta weight near e^-5 and itself 1, and with n >= 128 tokens both shares matter.
 * Attention then mixes without averaging everything away. With tokens 4x smaller every sequence
 * collapses to its mean within a layer or two, the loss hardly depends on Wa, and its gradient
 * (1e-7 of the others) is float32 rounding noise for every engine.
 */
function yangInputs(size: SizeSpec, rng: Random, seed: number): { model: YangModel; state: Array64; Wa: Array64; Wf: Array64; b: Array64 } {
  const { batch, tokens, dim } = size;
  const state = array(rng.uniforms(batch * tokens * dim, 0, 8 / Math.sqrt(dim)), [batch, tokens, dim]);
  const params = initYangParams({ dim }, { seed });
  const Wa = array(params["Wa"]!.data, params["Wa"]!.shape);
  // Rounding an exactly symmetric matrix entry by entry keeps it exactly symmetric.
  const Wf = array(params["Wf"]!.data, params["Wf"]!.shape);
  const b = array(params["b"]!.data, params["b"]!.shape);
  const feedForwardStepSize = Math.fround(safeFeedForwardStepSize({ Wf: hostTensor(Wf.data, Wf.shape) }, dim));
  const model: YangModel = { batch, tokens, dim, layers: size.layers ?? LAYERS, attentionStepSize: 1, feedForwardStepSize };
  return { model, state, Wa, Wf, b };
}

export function forwardProblem(size: SizeSpec, seed = SEED): ForwardProblem {
  const { model, state, Wa, Wf, b } = yangInputs(size, new Random(seed), seed + 1);
  return { kind: "unfold-forward", label: size.name, model, inputs: { state, Wa, Wf, b } };
}

/** One layer of the forward (the size's layer count does not apply): the same inputs. */
export function descentStepProblem(size: SizeSpec, seed = SEED): ForwardProblem {
  const { model, state, Wa, Wf, b } = yangInputs(size, new Random(seed), seed + 1);
  return { kind: "descent-step", label: size.name, model: { ...model, layers: 1 }, inputs: { state, Wa, Wf, b } };
}

/**
 * The Yang energy at the forward's inputs; for `hvp` also a direction V of normals with standard
 * deviation 1/sqrt(d), a perturbation about half the size of the tokens' own spread (theirs is
 * 8 / sqrt(12 d)), so H V has the size of a plausible change of the gradient.
 */
export function energyProblem(kind: EnergyProblem["kind"], size: SizeSpec, seed = SEED): EnergyProblem {
  const rng = new Random(seed);
  const { model, state, Wa, Wf, b } = yangInputs(size, rng, seed + 1);
  const { batch, tokens, dim } = size;
  const direction = kind === "hvp" ? { direction: array(rng.normals(batch * tokens * dim, 1 / Math.sqrt(dim)), [batch, tokens, dim]) } : {};
  return { kind, label: size.name, model: { ...model, layers: 1 }, inputs: { state, Wa, Wf, b, ...direction } };
}

export function trainProblem(size: SizeSpec, seed = SEED): TrainProblem {
  const rng = new Random(seed);
  const { model, state, Wa, Wf, b } = yangInputs(size, rng, seed + 1);
  const { batch, dim } = size;
  const labels = new Float64Array(batch * CLASSES);
  for (let i = 0; i < batch; i++) labels[i * CLASSES + rng.int(0, CLASSES - 1)] = 1;
  return {
    kind: "train-step",
    label: size.name,
    model,
    classes: CLASSES,
    adam: ADAM,
    inputs: {
      state,
      labels: array(labels, [batch, CLASSES]),
      Wa,
      // W_f = (M + M^T) / 2 starts at the symmetric W_f itself.
      M: Wf,
      b,
      W: array(rng.normals(dim * CLASSES, 1 / Math.sqrt(dim)), [dim, CLASSES]),
      c: array(rng.normals(CLASSES, 0.1), [CLASSES]),
    },
  };
}
