// The gradient of a loss L(Y*) in the parameters theta of a fixed-point model Y* = T(Y*, theta),
// without the forward path: by the implicit function theorem (an adjoint solve with
// vector-Jacobian products), by Jacobian-free backprop, or by a phantom gradient.
// See docs/fixed-points.md, section 3.
import type { Backend, DeviceTensor } from "../backend/backend.js";
import type { HostTensor } from "../backend/tensor.js";
import { UnfoldError } from "../errors.js";
import type { Unfolding } from "../unfold/schedule.js";
import {
  ADJOINT_NAMES,
  adjointIterationProgram,
  adjointOperatorProgram,
  gradOutput,
  parameterVjpProgram,
  phantomProgram,
  scaledHessianProgram,
  whyNotPlainGradient,
} from "./adjoint-programs.js";
import { type AdjointReport, type AdjointSolution, type DeviceOperator, notConverged } from "./adjoint-solve.js";
import { DeviceVectors } from "./adjoint-vectors.js";
import { solveAdjointByIteration } from "./adjoint-iteration.js";
import { solveAdjointByCg } from "./cg.js";
import { solveAdjointByGmres } from "./gmres.js";
import { type BackwardMode, type ImplicitGradientOptions, type ResolvedImplicitOptions, resolveImplicitOptions } from "./implicit-options.js";
import { type LayerMap, layerMap } from "./layer-map.js";

/** implicitGradient's result. */
export interface ImplicitGradient {
  /** dL/dtheta for every parameter of the energy, by name. */
  readonly grads: Record<string, HostTensor>;
  readonly backward: BackwardMode;
  /** How the adjoint solve went (backward 'implicit'); null for 'jfb' and 'phantom', which solve nothing. */
  readonly adjoint: AdjointReport | null;
}

const OP = "implicitGradient";

/**
 * The gradient of L(Y*) in the energy's parameters at a fixed point Y* = T(Y*) of `model`'s layer
 * map, given dL/dY*. With backward 'implicit' (the default) it solves u = J_Y^T u + g (J_Y = dT/dY
 * at Y*, g = dL/dY*) by the adjoint solver chosen and returns (dT/dtheta)^T u: the exact gradient
 * at an exact fixed point. 'jfb' takes u = g; 'phantom' backpropagates through k damped steps of
 * T from Y*. Everything stays on `backend`; per iteration only scalars are read back. An adjoint
 * solve that stops above its tolerance is reported (adjoint.converged false), or thrown with
 * adjoint.requireConvergence.
 */
export async function implicitGradient(model: Unfolding | LayerMap, backend: Backend, options: ImplicitGradientOptions): Promise<ImplicitGradient> {
  const map = isLayerMap(model) ? model : layerMap(model, OP);
  const o = resolveImplicitOptions(OP, map, options);
  if (o.adjoint?.solver === "cg") {
    const why = whyNotPlainGradient(map);
    if (why !== null) throw new UnfoldError(OP, `adjoint.solver 'cg' needs T to be one plain gradient step, but ${why}; use adjoint.solver 'gmres'`);
  }
  const resident: DeviceTensor[] = [];
  const upload = async (t: HostTensor): Promise<DeviceTensor> => {
    const d = await backend.upload(t);
    resident.push(d);
    return d;
  };
  try {
    const params: Record<string, DeviceTensor> = {};
    for (const [name, value] of Object.entries(o.params)) params[name] = await upload(value);
    const state = await upload(o.state);
    const cotangent = await upload(o.cotangent);
    if (o.backward === "phantom") {
      const program = phantomProgram(map, o.state.shape, o.dtype, o.phantom!.steps, o.phantom!.damping);
      const outs = await (await backend.compile(program)).run({ ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.cotangent]: cotangent });
      return { grads: await readGrads(outs, Object.keys(params)), backward: "phantom", adjoint: null };
    }
    let u = cotangent;
    let report: AdjointReport | null = null;
    if (o.backward === "implicit") {
      const solved = await solveAdjoint(map, backend, o, state, cotangent, params);
      resident.push(solved.solution);
      report = solved.report;
      if (!report.converged && o.adjoint!.requireConvergence) throw notConverged(OP, report, o.adjoint!.tol);
      u = solved.solution;
    }
    const vjp = await backend.compile(parameterVjpProgram(map, o.state.shape, o.dtype));
    const outs = await vjp.run({ ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.vector]: u });
    return { grads: await readGrads(outs, Object.keys(params)), backward: o.backward, adjoint: report };
  } finally {
    for (const t of resident) t.dispose();
  }
}

function isLayerMap(model: Unfolding | LayerMap): model is LayerMap {
  return typeof model === "object" && model !== null && "stepSizes" in model && "unfolding" in model;
}

async function solveAdjoint(
  map: LayerMap,
  backend: Backend,
  o: ResolvedImplicitOptions,
  state: DeviceTensor,
  cotangent: DeviceTensor,
  params: Record<string, DeviceTensor>,
): Promise<AdjointSolution> {
  const options = o.adjoint!;
  const shape = o.state.shape;
  const vectors = await DeviceVectors.create(backend, shape, o.dtype);
  const cotangentNorm = Math.sqrt(await vectors.dot(cotangent, cotangent));
  if (options.solver === "iteration") {
    const step = await backend.compile(adjointIterationProgram(map, shape, o.dtype));
    return solveAdjointByIteration(step, { ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.cotangent]: cotangent }, vectors, cotangentNorm, options);
  }
  const program = options.solver === "cg" ? scaledHessianProgram(map, shape, o.dtype, OP) : adjointOperatorProgram(map, shape, o.dtype);
  const executable = await backend.compile(program);
  const apply: DeviceOperator = async (vector) => (await executable.run({ ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.vector]: vector }))[ADJOINT_NAMES.product]!;
  return options.solver === "cg"
    ? solveAdjointByCg(apply, cotangent, vectors, cotangentNorm, options)
    : solveAdjointByGmres(apply, cotangent, vectors, cotangentNorm, options);
}

/** Reads each parameter's gradient and frees the device copies. */
async function readGrads(outs: Record<string, DeviceTensor>, names: readonly string[]): Promise<Record<string, HostTensor>> {
  const grads: Record<string, HostTensor> = {};
  try {
    for (const name of names) grads[name] = await outs[gradOutput(name)]!.read();
  } finally {
    for (const t of Object.values(outs)) t.dispose();
  }
  return grads;
}
