// One run of each fixed-point workload on a backend: the forward solve to a tolerance, the
// unrolled training step (the K-layer program differentiated, run once) and the implicit one
// (exactly K layer evaluations forward, then the adjoint solve by GMRES with a fixed budget).
import { type Backend, type DType, type HostTensor, type ParamValues, hostTensor, implicitGradient, solveFixedPoint } from "@unfold/core";
import { type AnchoredModel, readoutProgram, unrolledTrainProgram } from "./model.js";

/** The adjoint's fixed budget: GMRES products per implicit step, the same at every depth. */
export const ADJOINT_BUDGET = 20;
/**
 * A tolerance no float32 or float64 residual reaches before the budget is spent, so the forward
 * runs its K layer evaluations and GMRES its ADJOINT_BUDGET products (a residual of exactly 0,
 * an exact fixed point, would stop either earlier; the rows report the counts run).
 */
export const UNREACHABLE_TOL = 1e-300;

/** `t` in `dtype` (the model is drawn in float64). */
export const inDtype = (t: HostTensor, dtype: DType): HostTensor => hostTensor(t.data, t.shape, dtype);

function paramsIn(model: AnchoredModel, dtype: DType): ParamValues {
  return Object.fromEntries(Object.entries(model.params).map(([name, t]) => [name, inDtype(t, dtype)]));
}

/** What a forward solve did. */
export interface ForwardRun {
  readonly iterations: number;
  readonly layerEvaluations: number;
  readonly converged: boolean;
  readonly residual: number;
}

/** solveFixedPoint on the Yang layer alone from the input X to `tol` by `solver`, at most `maxIterations` iterations. */
export async function forwardSolve(model: AnchoredModel, backend: Backend, dtype: DType, solver: "iteration" | "anderson", tol: number, maxIterations: number): Promise<ForwardRun> {
  const params = Object.fromEntries(Object.entries(model.yang.params).map(([name, t]) => [name, inDtype(t, dtype)]));
  const state = inDtype(model.params["X"]!, dtype);
  const result = await solveFixedPoint(model.yang.map, backend, { state, params, solver, tol, maxIterations });
  return { iterations: result.iterations, layerEvaluations: result.layerEvaluations, converged: result.converged, residual: result.residual };
}

/** What a training step gives: the loss, and how much solving it took (null for the unrolled step). */
export interface TrainRun {
  readonly loss: number;
  /** Layer evaluations forward: K. */
  readonly forwardEvaluations: number;
  /** GMRES products in the backward (implicit only). */
  readonly adjointIterations: number | null;
  /** The gradients' squared norm over every parameter: finite when the step worked. */
  readonly gradientNormSq: number;
}

const normSq = (grads: Iterable<HostTensor>): number => {
  let sum = 0;
  for (const g of grads) for (const v of g.data) sum += v * v;
  return sum;
};

/** The unrolled step: the K-layer program with every parameter's gradient, compiled and run once, loss and gradients read back. */
export async function unrolledStep(model: AnchoredModel, backend: Backend, dtype: DType, layers: number): Promise<TrainRun> {
  const executable = await backend.compile(unrolledTrainProgram(model, layers, dtype));
  const params = paramsIn(model, dtype);
  const feeds = { state: params["X"]!, ...params, W: inDtype(model.readout.W, dtype), c: inDtype(model.readout.c, dtype), target: inDtype(model.readout.target, dtype) };
  const uploaded = await Promise.all(Object.entries(feeds).map(async ([name, t]) => [name, await backend.upload(t)] as const));
  try {
    const outs = await executable.run(Object.fromEntries(uploaded));
    try {
      const read = await Promise.all(Object.entries(outs).map(async ([name, t]) => [name, await t.read()] as const));
      const grads = read.filter(([name]) => name.startsWith("grad_")).map(([, t]) => t);
      return { loss: read.find(([name]) => name === "loss")![1].data[0]!, forwardEvaluations: layers, adjointIterations: null, gradientNormSq: normSq(grads) };
    } finally {
      for (const t of Object.values(outs)) t.dispose();
    }
  } finally {
    for (const [, t] of uploaded) t.dispose();
  }
}

/**
 * The implicit step: K plain iterations of T from X (solveFixedPoint, resident state, scalars
 * read per iteration), the readout's loss and dL/dY* at the last iterate, then implicitGradient
 * with GMRES for ADJOINT_BUDGET products. Nothing of the forward path is kept for the backward.
 */
export async function implicitStep(model: AnchoredModel, backend: Backend, dtype: DType, layers: number): Promise<TrainRun> {
  const params = paramsIn(model, dtype);
  const forward = await solveFixedPoint(model.map, backend, { state: params["X"]!, params, solver: "iteration", tol: UNREACHABLE_TOL, maxIterations: layers });
  const readout = await backend.compile(readoutProgram(model, dtype));
  const feeds = { state: forward.state, W: inDtype(model.readout.W, dtype), c: inDtype(model.readout.c, dtype), target: inDtype(model.readout.target, dtype) };
  const uploaded = await Promise.all(Object.entries(feeds).map(async ([name, t]) => [name, await backend.upload(t)] as const));
  let loss: number;
  let cotangent: HostTensor;
  let readoutGrads: HostTensor[];
  try {
    const outs = await readout.run(Object.fromEntries(uploaded));
    try {
      loss = (await outs["loss"]!.read()).data[0]!;
      cotangent = await outs["grad_state"]!.read();
      readoutGrads = [await outs["grad_W"]!.read(), await outs["grad_c"]!.read()];
    } finally {
      for (const t of Object.values(outs)) t.dispose();
    }
  } finally {
    for (const [, t] of uploaded) t.dispose();
  }
  const backward = await implicitGradient(model.map, backend, {
    state: forward.state,
    params,
    cotangent,
    adjoint: { solver: "gmres", tol: UNREACHABLE_TOL, maxIterations: ADJOINT_BUDGET, restart: ADJOINT_BUDGET },
  });
  return {
    loss,
    forwardEvaluations: forward.layerEvaluations,
    adjointIterations: backward.adjoint?.iterations ?? null,
    gradientNormSq: normSq([...Object.values(backward.grads), ...readoutGrads]),
  };
}
