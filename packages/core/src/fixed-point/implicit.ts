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
import { compileOnce, signature } from "./compiled.js";
import { ResidentInputs } from "./resident-inputs.js";

/** implicitGradient's result. `G` is where the gradients come back: the host, or the backend with options.resident. */
export interface ImplicitGradient<G extends HostTensor | DeviceTensor = HostTensor> {
  /** dL/dtheta for every parameter of the energy, by name. */
  readonly grads: Record<string, G>;
  readonly backward: BackwardMode;
  /** How the adjoint solve went (backward 'implicit'); null for 'jfb' and 'phantom', which solve nothing. */
  readonly adjoint: AdjointReport | null;
}

/** implicitGradient's result with options.resident: the gradients stay on the backend (the caller disposes them). */
export type ResidentImplicitGradient = ImplicitGradient<DeviceTensor>;

const OP = "implicitGradient";

/**
 * The gradient of L(Y*) in the energy's parameters at a fixed point Y* = T(Y*) of `model`'s layer
 * map, given dL/dY*. With backward 'implicit' (the default) it solves u = J_Y^T u + g (J_Y = dT/dY
 * at Y*, g = dL/dY*) by the adjoint solver chosen and returns (dT/dtheta)^T u: the exact gradient
 * at an exact fixed point. 'jfb' takes u = g; 'phantom' backpropagates through k damped steps of
 * T from Y*. Everything stays on `backend`; per iteration only scalars are read back. An adjoint
 * solve that stops above its tolerance is reported (adjoint.converged false), or thrown with
 * adjoint.requireConvergence.
 *
 * The state, parameters and cotangent may be tensors resident on `backend` (used in place, never
 * disposed here); with `resident: true` the gradients stay there too, for the caller to dispose.
 */
export function implicitGradient(model: Unfolding | LayerMap, backend: Backend, options: ImplicitGradientOptions & { readonly resident: true }): Promise<ResidentImplicitGradient>;
export function implicitGradient(model: Unfolding | LayerMap, backend: Backend, options: ImplicitGradientOptions): Promise<ImplicitGradient>;
export async function implicitGradient(model: Unfolding | LayerMap, backend: Backend, options: ImplicitGradientOptions): Promise<ImplicitGradient<HostTensor | DeviceTensor>> {
  const map = isLayerMap(model) ? model : layerMap(model, OP);
  const o = resolveImplicitOptions(OP, map, options, backend);
  if (o.adjoint?.solver === "cg") {
    const why = whyNotPlainGradient(map);
    if (why !== null) throw new UnfoldError(OP, `adjoint.solver 'cg' needs T to be one plain gradient step, but ${why}; use adjoint.solver 'gmres'`);
  }
  const inputs = new ResidentInputs(backend);
  const made: DeviceTensor[] = [];
  const key = (name: string): string => `${name}:${signature(o.shape, o.dtype)}`;
  try {
    const params = await inputs.placeAll(o.params);
    const state = await inputs.place(o.state);
    const cotangent = await inputs.place(o.cotangent);
    if (o.backward === "phantom") {
      const { steps, damping } = o.phantom!;
      const exe = await compileOnce(backend, map, key(`phantom:${steps}:${damping}`), () => phantomProgram(map, o.shape, o.dtype, steps, damping));
      const outs = await exe.run({ ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.cotangent]: cotangent });
      return { grads: await takeGrads(outs, Object.keys(params), o.resident), backward: "phantom", adjoint: null };
    }
    let u = cotangent;
    let report: AdjointReport | null = null;
    if (o.backward === "implicit") {
      const solved = await solveAdjoint(map, backend, o, state, cotangent, params);
      made.push(solved.solution);
      report = solved.report;
      if (!report.converged && o.adjoint!.requireConvergence) throw notConverged(OP, report, o.adjoint!.tol);
      u = solved.solution;
    }
    const vjp = await compileOnce(backend, map, key("parameterVjp"), () => parameterVjpProgram(map, o.shape, o.dtype));
    const outs = await vjp.run({ ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.vector]: u });
    return { grads: await takeGrads(outs, Object.keys(params), o.resident), backward: o.backward, adjoint: report };
  } finally {
    inputs.disposeUploads();
    for (const t of made) t.dispose();
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
  const shape = o.shape;
  const vectors = await DeviceVectors.create(backend, shape, o.dtype);
  const cotangentNorm = Math.sqrt(await vectors.dot(cotangent, cotangent));
  if (options.solver === "iteration") {
    const step = await compileOnce(backend, map, `adjointIteration:${signature(shape, o.dtype)}`, () => adjointIterationProgram(map, shape, o.dtype));
    return solveAdjointByIteration(step, { ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.cotangent]: cotangent }, vectors, cotangentNorm, options);
  }
  const executable = await compileOnce(backend, map, `${options.solver === "cg" ? "scaledHessian" : "adjointOperator"}:${signature(shape, o.dtype)}`, () =>
    options.solver === "cg" ? scaledHessianProgram(map, shape, o.dtype, OP) : adjointOperatorProgram(map, shape, o.dtype),
  );
  const apply: DeviceOperator = async (vector) => (await executable.run({ ...params, [ADJOINT_NAMES.state]: state, [ADJOINT_NAMES.vector]: vector }))[ADJOINT_NAMES.product]!;
  return options.solver === "cg"
    ? solveAdjointByCg(apply, cotangent, vectors, cotangentNorm, options)
    : solveAdjointByGmres(apply, cotangent, vectors, cotangentNorm, options);
}

/**
 * Each parameter's gradient from a run's outputs: read back (the device copies freed), or under
 * `resident` handed over as they are (any other output freed).
 */
async function takeGrads(outs: Record<string, DeviceTensor>, names: readonly string[], resident: boolean): Promise<Record<string, HostTensor | DeviceTensor>> {
  const grads: Record<string, HostTensor | DeviceTensor> = {};
  const kept = new Set<DeviceTensor>();
  try {
    for (const name of names) {
      const t = outs[gradOutput(name)]!;
      if (resident) kept.add(t);
      grads[name] = resident ? t : await t.read();
    }
  } finally {
    for (const t of Object.values(outs)) if (!kept.has(t)) t.dispose();
  }
  return grads;
}
