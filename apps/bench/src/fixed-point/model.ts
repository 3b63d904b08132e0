// The model the fixed-point workloads run: one tied Yang et al. layer (attention MM step, ReLU
// feed-forward step) followed by a gradient step on an input anchor (lambda/2) ||Y - X||^2, so
// the fixed point depends on the input X, then a linear readout of the token mean and a squared
// loss. Built here from @unfold/energies and core, independent of the trainer.
import {
  type DType,
  type Energy,
  type HostTensor,
  type LayerMap,
  type Program,
  type Tensor,
  type Unfolding,
  Graph,
  Random,
  defineEnergy,
  defineUnfolding,
  differentiate,
  gradientStep,
  hostTensor,
  inline,
  layerMap,
  ops,
  sumEnergies,
  unfoldedProgram,
} from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";

/** The anchor's parameter: the input the state is pulled back to. */
export const ANCHOR_PARAM = "X";
/** The anchor term's name in the energy. */
export const ANCHOR_TERM = "anchor";

/** The shapes of the model: sequences, tokens per sequence, token width, readout outputs. */
export interface FixedPointShape {
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
  readonly outputs: number;
}

/** The default shape: 64 tokens of width 16, 4 sequences, 10 readout outputs. */
export const FIXED_POINT_SHAPE: FixedPointShape = { batch: 4, tokens: 64, dim: 16, outputs: 10 };
/** A shape small enough for CI's quick run. */
export const QUICK_FIXED_POINT_SHAPE: FixedPointShape = { batch: 2, tokens: 16, dim: 8, outputs: 4 };

/** lambda of the anchor term. */
export const ANCHOR_WEIGHT = 1;
/** The anchor step's size: each layer pulls the state 0.2 of the way back to X (with lambda 1). */
export const ANCHOR_STEP_SIZE = 0.2;

/** The anchored Yang model at one shape: its energy, parameters, input and readout. */
export interface AnchoredModel {
  readonly shape: FixedPointShape;
  readonly energy: Energy;
  /** The energy's parameters (Wa, Wf, b and the anchor X), in float64. */
  readonly params: Readonly<Record<string, HostTensor>>;
  /** The readout's W [dim, outputs] and c [outputs], and the target [batch, outputs]. */
  readonly readout: Readonly<Record<"W" | "c" | "target", HostTensor>>;
  /** The tied layer as an unfolding of `layers` layers (the step sizes are the layer's). */
  unfolding(layers: number): Unfolding;
  /** The layer map T. */
  readonly map: LayerMap;
  /**
   * The Yang layer alone (no anchor), with its parameters Wa, Wf, b: what the fixed-point
   * workload solves, a slowly contracting map on which Anderson has room to help.
   */
  readonly yang: { readonly map: LayerMap; readonly params: Readonly<Record<string, HostTensor>> };
}

/** The anchor term (lambda/2) ||Y - X||^2 as an energy of its own, with X a parameter of the state's shape. */
export function anchorEnergy(shape: readonly number[], weight = ANCHOR_WEIGHT): Energy {
  return defineEnergy({
    name: "anchor",
    params: { [ANCHOR_PARAM]: { shape: [...shape] } },
    terms: [
      {
        name: ANCHOR_TERM,
        value: (state, p) => {
          const diff = ops.sub(state, p[ANCHOR_PARAM]!);
          return ops.mul(ops.sum(ops.mul(diff, diff)), weight / 2);
        },
      },
    ],
  });
}

/**
 * The model at `shape`, drawn from `seed`: Yang parameters as initYangParams draws them, the
 * feed-forward step at half its descent bound, non-negative tokens as X (the ReLU step keeps the
 * state there), and the readout and target drawn at unit scale.
 */
export function anchoredModel(shape: FixedPointShape, seed = 21): AnchoredModel {
  const { batch, tokens, dim, outputs } = shape;
  const stateShape = [batch, tokens, dim];
  const energy = sumEnergies("yang-anchored", [yangEnergy({ dim }), anchorEnergy(stateShape)]) as Energy;
  const yang = initYangParams({ dim }, { seed });
  const rng = new Random(seed + 1);
  const X = hostTensor(rng.uniforms(batch * tokens * dim, 0, 4 / Math.sqrt(dim)), stateShape);
  const layer = { attentionStepSize: 0.5, feedForwardStepSize: safeFeedForwardStepSize(yang, dim) };
  const plain = yangEnergy({ dim });
  const steps = [
    ...yangLayerSteps(energy, layer),
    gradientStep(energy, { terms: [ANCHOR_TERM], stepSize: ANCHOR_STEP_SIZE, name: ANCHOR_TERM }),
  ];
  const unfolding = (layers: number): Unfolding => defineUnfolding({ energy, steps, layers, tiedWeights: true });
  return {
    shape,
    energy,
    params: { ...yang, [ANCHOR_PARAM]: X },
    readout: {
      W: hostTensor(rng.normals(dim * outputs, 1 / Math.sqrt(dim)), [dim, outputs]),
      c: hostTensor(new Float64Array(outputs), [outputs]),
      target: hostTensor(rng.normals(batch * outputs), [batch, outputs]),
    },
    unfolding,
    map: layerMap(unfolding(1)),
    yang: { map: layerMap(defineUnfolding({ energy: plain, steps: yangLayerSteps(plain, layer), layers: 1, tiedWeights: true })), params: yang },
  };
}

/** The loss 1/(2B) ||mean_tokens(Y) W + c - target||^2, with W, c (parameters) and the target (an input) as leaves of `g`. */
function readoutLoss(g: Graph, Y: Tensor, model: AnchoredModel, dtype: DType): Tensor {
  const { batch, dim, outputs } = model.shape;
  const W = g.leaf("param", "W", [dim, outputs], dtype);
  const c = g.leaf("param", "c", [outputs], dtype);
  const target = g.leaf("input", "target", [batch, outputs], dtype);
  const pooled = ops.mean(Y, 1);
  const residual = ops.sub(ops.add(ops.matmul(pooled, W), c), target);
  return ops.mul(ops.sum(ops.mul(residual, residual)), 0.5 / batch);
}

/**
 * The readout on a fixed point: Y* (a parameter here, so it gets a gradient), W, c, target ->
 * loss, grad_state (dL/dY*, the implicit backward's cotangent), grad_W, grad_c.
 */
export function readoutProgram(model: AnchoredModel, dtype: DType): Program {
  const { batch, tokens, dim } = model.shape;
  const g = new Graph();
  const Y = g.leaf("param", "state", [batch, tokens, dim], dtype);
  return differentiate(g.toProgram({ loss: readoutLoss(g, Y, model, dtype) }), { of: "loss" });
}

/**
 * The unrolled training step's program: K layers from the input state (X's values, fed as the
 * input `state`), the readout and loss, differentiated in every parameter (Wa, Wf, b, X, W, c)
 * by reverse mode through every layer, which keeps each layer's intermediates for the backward.
 */
export function unrolledTrainProgram(model: AnchoredModel, layers: number, dtype: DType): Program {
  const { batch, tokens, dim } = model.shape;
  const forward = unfoldedProgram(model.unfolding(layers), [batch, tokens, dim], dtype);
  const g = new Graph();
  const leaves = Object.fromEntries(forward.feeds.map((f) => [f.name, g.leaf(f.kind, f.name, f.shape, f.dtype)]));
  const Y = inline(g, forward, leaves)["state"]!;
  return differentiate(g.toProgram({ loss: readoutLoss(g, Y, model, dtype) }), { of: "loss" });
}
