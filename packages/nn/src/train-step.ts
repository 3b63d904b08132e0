import { type DType, Graph, type HostTensor, type Program, ShapeError, Tensor, UnfoldError, formatShape, gradients, hostTensor, scalarTensor, sizeOf } from "@unfold/core";
import { describeArg, requireDType } from "./check.js";
import { type AdamWOptions, adamwUpdate } from "./optim.js";
import { type TrainableSpecs, checkTrainableSpecs, decayFlags, specLeaves, sortedNames } from "./params.js";
import { type LearningRateSchedule, learningRateAt } from "./schedule.js";

/** What `trainStepProgram` builds a training step from: parameters, data leaves, dtype, the loss and the optimizer. */
export interface TrainStepSpec {
  readonly specs: TrainableSpecs;
  /** Data leaves: name -> shape (they become "input" leaves). */
  readonly inputs: Readonly<Record<string, readonly number[]>>;
  readonly dtype: DType;
  /** Traces the loss (a scalar) and any extra outputs (e.g. "correct") from the data leaves and parameter leaves. */
  readonly loss: (inputs: Record<string, Tensor>, params: Record<string, Tensor>) => { loss: Tensor; outputs?: Record<string, Tensor> };
  readonly optimizer?: AdamWOptions;
  /** Also output each parameter's (unclipped) gradient as `grad.<p>`, for checks and diagnostics. */
  readonly emitGradients?: boolean;
}

/** Feed names the training step declares itself, besides the parameters and the moments. */
const STEP_FEEDS = ["learningRate", "step"] as const;
/** Output names the training step produces itself, besides the `next.` and `grad.` families. */
const STEP_OUTPUTS = ["loss", "gradNorm"] as const;

const momentNames = (p: string): [string, string] => [`m.${p}`, `v.${p}`];

interface TracedLoss {
  readonly graph: Graph;
  readonly inputs: Record<string, Tensor>;
  readonly params: Record<string, Tensor>;
  readonly loss: Tensor;
  readonly outputs: Record<string, Tensor>;
}

function checkSpec(op: string, spec: TrainStepSpec): string[] {
  if (typeof spec !== "object" || spec === null) throw new UnfoldError(op, "spec must be a TrainStepSpec");
  checkTrainableSpecs(op, spec.specs);
  requireDType(op, spec.dtype);
  if (typeof spec.loss !== "function") throw new UnfoldError(op, "spec.loss must be a function tracing the loss");
  const params = sortedNames(spec.specs);
  if (params.length === 0) throw new UnfoldError(op, "spec.specs declares no parameters: there is nothing to train");
  const taken = new Map<string, string>();
  for (const p of params) {
    taken.set(p, `parameter '${p}'`);
    for (const moment of momentNames(p)) taken.set(moment, `the moment feed of parameter '${p}'`);
  }
  for (const name of STEP_FEEDS) taken.set(name, "the training step's own feed");
  for (const [name, shape] of Object.entries(spec.inputs ?? {})) {
    const clash = taken.get(name);
    if (clash) throw new UnfoldError(op, `input '${name}' has the name of ${clash}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(op, `input '${name}' has an invalid shape ${Array.isArray(shape) ? formatShape(shape) : String(shape)}`);
    }
  }
  return params;
}

function isReserved(name: string): boolean {
  return (STEP_OUTPUTS as readonly string[]).includes(name) || name.startsWith("next.") || name.startsWith("grad.");
}

/** Declares the data and parameter leaves on a new graph and traces the user's loss there. */
function traceLoss(op: string, spec: TrainStepSpec): TracedLoss {
  const graph = new Graph();
  const inputs = Object.fromEntries(Object.entries(spec.inputs ?? {}).map(([n, shape]) => [n, graph.leaf("input", n, shape, spec.dtype)]));
  const params = specLeaves(graph, spec.specs, spec.dtype);
  const traced = spec.loss(inputs, params);
  if (typeof traced !== "object" || traced === null || !(traced.loss instanceof Tensor)) {
    throw new UnfoldError(op, "spec.loss must return { loss: Tensor, outputs?: Record<string, Tensor> }");
  }
  const { loss } = traced;
  if (loss.graph !== graph) throw new UnfoldError(op, "the loss comes from a different trace than the leaves spec.loss was given");
  if (loss.size !== 1) throw new ShapeError(op, `${describeArg("the loss", loss)} must be a scalar`);
  if (loss.dtype !== spec.dtype) throw new UnfoldError(op, `the loss is ${loss.dtype} but spec.dtype is ${spec.dtype}`);
  const outputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(traced.outputs ?? {})) {
    if (isReserved(name)) throw new UnfoldError(op, `extra output '${name}' clashes with the training step's own outputs (loss, gradNorm, next.*, grad.*)`);
    if (!(t instanceof Tensor) || t.graph !== graph) throw new UnfoldError(op, `extra output '${name}' is not a Tensor of this trace`);
    outputs[name] = t;
  }
  return { graph, inputs, params, loss: loss.rank === 0 ? loss : loss.reshape([]), outputs };
}

/**
 * The loss alone as a program: the data inputs and parameters in, `loss` and the extra outputs
 * out. For evaluation, and the function whose gradient the training step takes.
 */
export function lossProgram(spec: Omit<TrainStepSpec, "optimizer" | "emitGradients">): Program {
  checkSpec("lossProgram", spec);
  const { graph, loss, outputs } = traceLoss("lossProgram", spec);
  return graph.toProgram({ loss, ...outputs });
}

/**
 * The whole training step as ONE program: forward, gradients of the loss w.r.t. every parameter
 * (core `gradients`), AdamW update, so parameters and moments can stay resident on a backend.
 * Feeds: the data inputs, every param (param leaves, named as in specs), `m.<p>`, `v.<p>`
 * (inputs), `learningRate` and `step` (scalar inputs). Outputs: `loss`, `gradNorm`, the extra
 * outputs, and `next.<p>`, `next.m.<p>`, `next.v.<p>` (and `grad.<p>` with emitGradients).
 */
export function trainStepProgram(spec: TrainStepSpec): Program {
  const op = "trainStepProgram";
  const names = checkSpec(op, spec);
  const { graph, params, loss, outputs } = traceLoss(op, spec);
  const m: Record<string, Tensor> = {};
  const v: Record<string, Tensor> = {};
  for (const p of names) {
    const [mName, vName] = momentNames(p);
    m[p] = graph.leaf("input", mName, spec.specs[p]!.shape, spec.dtype);
    v[p] = graph.leaf("input", vName, spec.specs[p]!.shape, spec.dtype);
  }
  const learningRate = graph.leaf("input", "learningRate", [], spec.dtype);
  const step = graph.leaf("input", "step", [], spec.dtype);
  const gradList = gradients(loss, names.map((p) => params[p]!));
  const grads = Object.fromEntries(names.map((p, i) => [p, gradList[i]!]));
  const next = adamwUpdate({ params, grads, m, v, learningRate, step, decay: decayFlags(spec.specs) }, spec.optimizer);
  const result: Record<string, Tensor> = { loss, gradNorm: next.gradNorm, ...outputs };
  for (const p of names) {
    result[`next.${p}`] = next.params[p]!;
    result[`next.m.${p}`] = next.m[p]!;
    result[`next.v.${p}`] = next.v[p]!;
    if (spec.emitGradients) result[`grad.${p}`] = grads[p]!;
  }
  return graph.toProgram(result);
}

/** Output name -> feed name for carrying state to the next step: next.<p> -> <p>, next.m.<p> -> m.<p>, next.v.<p> -> v.<p>. */
export function trainStepCarry(specs: TrainableSpecs): Record<string, string> {
  checkTrainableSpecs("trainStepCarry", specs);
  const carry: Record<string, string> = {};
  for (const p of sortedNames(specs)) {
    const [mName, vName] = momentNames(p);
    carry[`next.${p}`] = p;
    carry[`next.${mName}`] = mName;
    carry[`next.${vName}`] = vName;
  }
  return carry;
}

/** Zero moments for every param, as host tensors named m.<p>, v.<p>. */
export function zeroMoments(specs: TrainableSpecs, dtype: DType): Record<string, HostTensor> {
  checkTrainableSpecs("zeroMoments", specs);
  requireDType("zeroMoments", dtype);
  const out: Record<string, HostTensor> = {};
  for (const p of sortedNames(specs)) {
    const shape = specs[p]!.shape;
    for (const name of momentNames(p)) out[name] = hostTensor(new Float64Array(sizeOf(shape)), shape, dtype);
  }
  return out;
}

/** The step's own scalar feeds: `learningRate` from the schedule at this 1-based step, and `step`. */
export function stepFeeds(step: number, schedule: LearningRateSchedule, dtype: DType): { learningRate: HostTensor; step: HostTensor } {
  requireDType("stepFeeds", dtype);
  return { learningRate: scalarTensor(learningRateAt(step, schedule), dtype), step: scalarTensor(step, dtype) };
}
