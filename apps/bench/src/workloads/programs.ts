import {
  type DType,
  Graph,
  type HostTensor,
  type Program,
  type Tensor,
  crossEntropy,
  defineUnfolding,
  differentiate,
  hostTensor,
  inline,
  interpret,
  ops,
  paramLeaves,
  termValues,
  totalOf,
  unfoldedProgram,
  valueAndGrad,
  hvp,
} from "@unfold/core";
import { yangEnergy, yangLayerSteps } from "@unfold/energies";
import {
  type Array64,
  type EnergyProblem,
  type MatmulProblem,
  type Outputs,
  type Problem,
  TRAIN_PARAMS,
  type TrainProblem,
  type YangModel,
  adamCorrections,
} from "./problem.js";

/**
 * A workload as a core program, with everything a core Backend needs to run it repeatedly:
 * what to feed first, which host feeds change from one step to the next, which outputs become
 * the next step's feeds (state that stays resident on the backend), and what to read back.
 */
export interface ProgramTask {
  readonly program: Program;
  /** Every feed of step 1. */
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** The small host feeds that change with the step count (step >= 1; step 1's are also in `feeds`). */
  readonly stepFeeds?: (step: number) => Record<string, HostTensor>;
  /** Output name -> feed name: outputs that replace feeds for the next step. */
  readonly carry?: Readonly<Record<string, string>>;
  /** Outputs read back to the host at every timed step. */
  readonly readback: readonly string[];
}

const host = (a: Array64, dtype: DType): HostTensor => hostTensor(a.data, a.shape, dtype);

export function matmulProgram(problem: MatmulProblem, dtype: DType): Program {
  const g = new Graph();
  const A = g.leaf("input", "A", [problem.m, problem.k], dtype);
  const B = g.leaf("input", "B", [problem.k, problem.n], dtype);
  return g.toProgram({ C: ops.matmul(A, B) });
}

/** `layers` tied Yang layers built from the energies package: state, Wa, Wf, b -> state. */
export function forwardProgram(model: YangModel, dtype: DType): Program {
  const energy = yangEnergy({ dim: model.dim });
  const unfolding = defineUnfolding({
    energy,
    steps: yangLayerSteps(energy, { attentionStepSize: model.attentionStepSize, feedForwardStepSize: model.feedForwardStepSize }),
    layers: model.layers,
    tiedWeights: true,
  });
  return unfoldedProgram(unfolding, [model.batch, model.tokens, model.dim], dtype);
}

/**
 * The Yang energy's derivatives in the state, by core autodiff: `energy-and-gradient` gives
 * energy and grad (reverse mode); `hvp` gives H V by differentiating <grad, V> once more.
 * Feeds: state, Wa, Wf, b (parameters, in the energy's order) and, for hvp, direction.
 */
export function energyDerivativeProgram(problem: EnergyProblem, dtype: DType): Program {
  const { batch, tokens, dim } = problem.model;
  const energy = yangEnergy({ dim });
  const g = new Graph();
  const state = g.leaf("input", "state", [batch, tokens, dim], dtype);
  const params = paramLeaves(energy, g, dtype);
  const total = (Y: Tensor): Tensor => totalOf(termValues(energy, Y, params));
  if (problem.kind === "hvp") {
    const direction = g.leaf("input", "direction", [batch, tokens, dim], dtype);
    return g.toProgram({ hvp: hvp(total)(state, direction) });
  }
  const { value, grads } = valueAndGrad(total)(state);
  return g.toProgram({ energy: value, grad: grads[0]! });
}

interface TrainLeaves {
  readonly state: Tensor;
  readonly labels: Tensor;
  readonly params: Record<string, Tensor>;
}

function trainLeaves(g: Graph, problem: TrainProblem, dtype: DType): TrainLeaves {
  const { inputs } = problem;
  const params: Record<string, Tensor> = {};
  for (const p of TRAIN_PARAMS) params[p] = g.leaf("param", p, inputs[p].shape, dtype);
  return {
    state: g.leaf("input", "state", inputs.state.shape, dtype),
    labels: g.leaf("input", "labels", inputs.labels.shape, dtype),
    params,
  };
}

/** state, labels, Wa, M, b, W, c -> loss: the forward, mean-pooling, the linear head, cross-entropy. */
export function lossProgram(problem: TrainProblem, dtype: DType): Program {
  const g = new Graph();
  const { state, labels, params } = trainLeaves(g, problem, dtype);
  const M = params["M"]!;
  const Wf = ops.mul(ops.add(M, ops.swapLastAxes(M)), 0.5).named("Wf");
  const forward = forwardProgram(problem.model, dtype);
  const Y = inline(g, forward, { state, Wa: params["Wa"]!, Wf, b: params["b"]! })["state"]!;
  const pooled = ops.mean(Y, 1);
  const logits = ops.add(ops.matmul(pooled, params["W"]!), params["c"]!);
  return g.toProgram({ loss: crossEntropy(logits, labels) });
}

/**
 * The whole training step as one program: the loss, its gradient with respect to every parameter
 * (core `differentiate`), and the Adam update, so parameters and moments can stay resident.
 * Feeds: the loss program's, plus `m.<p>`, `v.<p>` and the step's `correction1`, `correction2`.
 */
export function trainProgram(problem: TrainProblem, dtype: DType): Program {
  const withGrads = differentiate(lossProgram(problem, dtype), { of: "loss" });
  const g = new Graph();
  const { state, labels, params } = trainLeaves(g, problem, dtype);
  const m: Record<string, Tensor> = {};
  const v: Record<string, Tensor> = {};
  for (const p of TRAIN_PARAMS) {
    m[p] = g.leaf("input", `m.${p}`, problem.inputs[p].shape, dtype);
    v[p] = g.leaf("input", `v.${p}`, problem.inputs[p].shape, dtype);
  }
  const correction1 = g.leaf("input", "correction1", [], dtype);
  const correction2 = g.leaf("input", "correction2", [], dtype);
  const outs = inline(g, withGrads, { state, labels, ...params });
  const { beta1, beta2, epsilon, learningRate } = problem.adam;
  const result: Record<string, Tensor> = { loss: outs["loss"]! };
  for (const p of TRAIN_PARAMS) {
    const grad = outs[`grad_${p}`]!;
    const m1 = ops.add(ops.mul(m[p]!, beta1), ops.mul(grad, 1 - beta1));
    const v1 = ops.add(ops.mul(v[p]!, beta2), ops.mul(ops.mul(grad, grad), 1 - beta2));
    const mHat = ops.div(m1, correction1);
    const vHat = ops.div(v1, correction2);
    const update = ops.mul(ops.div(mHat, ops.add(ops.sqrt(vHat), epsilon)), -learningRate);
    result[`new.${p}`] = ops.add(update, params[p]!);
    result[`m.${p}`] = m1;
    result[`v.${p}`] = v1;
  }
  return g.toProgram(result);
}

function trainFeeds(problem: TrainProblem, dtype: DType): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {
    state: host(problem.inputs.state, dtype),
    labels: host(problem.inputs.labels, dtype),
    ...correctionFeeds(problem, 1, dtype),
  };
  for (const p of TRAIN_PARAMS) {
    const a = problem.inputs[p];
    feeds[p] = host(a, dtype);
    feeds[`m.${p}`] = hostTensor(new Float64Array(a.data.length), a.shape, dtype);
    feeds[`v.${p}`] = hostTensor(new Float64Array(a.data.length), a.shape, dtype);
  }
  return feeds;
}

function correctionFeeds(problem: TrainProblem, step: number, dtype: DType): Record<string, HostTensor> {
  const { correction1, correction2 } = adamCorrections(problem.adam, step);
  return { correction1: hostTensor([correction1], [], dtype), correction2: hostTensor([correction2], [], dtype) };
}

/** The workload's core program in `dtype` (as traced, unoptimized) and how to run it. */
export function programTask(problem: Problem, dtype: DType): ProgramTask {
  switch (problem.kind) {
    case "matmul":
      return {
        program: matmulProgram(problem, dtype),
        feeds: { A: host(problem.inputs.A, dtype), B: host(problem.inputs.B, dtype) },
        readback: ["C"],
      };
    case "unfold-forward":
    case "descent-step": {
      const { state, Wa, Wf, b } = problem.inputs;
      return {
        program: forwardProgram(problem.model, dtype),
        feeds: { state: host(state, dtype), Wa: host(Wa, dtype), Wf: host(Wf, dtype), b: host(b, dtype) },
        readback: ["state"],
      };
    }
    case "train-step": {
      const carry: Record<string, string> = {};
      for (const p of TRAIN_PARAMS) Object.assign(carry, { [`new.${p}`]: p, [`m.${p}`]: `m.${p}`, [`v.${p}`]: `v.${p}` });
      return {
        program: trainProgram(problem, dtype),
        feeds: trainFeeds(problem, dtype),
        stepFeeds: (step) => correctionFeeds(problem, step, dtype),
        carry,
        // Parameters and moments stay resident; the loss is what a training loop reads.
        readback: ["loss"],
      };
    }
    case "energy-and-gradient":
    case "hvp": {
      const { state, Wa, Wf, b, direction } = problem.inputs;
      const feeds: Record<string, HostTensor> = { state: host(state, dtype), Wa: host(Wa, dtype), Wf: host(Wf, dtype), b: host(b, dtype) };
      if (problem.kind === "hvp") {
        if (!direction) throw new Error("hvp: the problem has no direction");
        feeds["direction"] = host(direction, dtype);
      }
      return {
        program: energyDerivativeProgram(problem, dtype),
        feeds,
        readback: problem.kind === "hvp" ? ["hvp"] : ["energy", "grad"],
      };
    }
  }
}

/** The float64 truth: core `interpret` on the float64 program and float64 inputs (step 1). */
export function referenceOutputs(problem: Problem): Outputs {
  const task = programTask(problem, "float64");
  const feeds = new Map<string, Float64Array>(Object.entries(task.feeds).map(([name, t]) => [name, Float64Array.from(t.data)]));
  return Object.fromEntries(interpret(task.program, feeds));
}
