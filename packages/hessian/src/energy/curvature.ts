import {
  type Backend,
  type DType,
  type Energy,
  type HostTensor,
  type ParamValues,
  type Program,
  type StepSizeBound,
  Graph,
  ReferenceBackend,
  UnfoldError,
  checkParams,
  gradients,
  hostTensor,
  ops,
  paramLeaves,
  sizeOf,
  termValues,
  toFloat64,
  totalOf,
} from "@unfold/core";
import type { LinearOperator } from "../curvature/operator.js";
import { lanczos } from "../estimators/lanczos.js";

/** state, vector, params -> d2E/dstate2 vector: the Hessian of an energy in its state, as products. */
export function energyHvpProgram(energy: Energy, shape: readonly number[], dtype: DType = "float64", terms?: readonly string[]): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const vector = graph.leaf("input", "vector", shape, dtype);
  const params = paramLeaves(energy, graph, dtype);
  const e = totalOf(termValues(energy, state, params, terms));
  const g = gradients(e, [state])[0]!;
  return graph.toProgram({ product: gradients(ops.sum(ops.mul(g, vector)), [state])[0]! });
}

/** Options of `energyCurvature`: the backend, the Lanczos steps, which terms, the seed. */
export interface EnergyCurvatureOptions {
  /** Where the products run; the float64 reference interpreter by default. */
  readonly backend?: Backend;
  /** Lanczos steps (one product each), capped at the state's size; 20 by default. */
  readonly iterations?: number;
  /** Only these terms' curvature (a step that descends some terms is bounded by theirs). */
  readonly terms?: readonly string[];
  readonly seed?: number;
}

/** The extreme eigenvalues of d2E/dY2 at a state, from Lanczos over Hessian-vector products. */
export interface EnergyCurvature {
  /** lambda_max of d2E/dY2 at the state: the L of docs/mathematics.md, 'Curvature of an energy'. */
  readonly lambdaMax: number;
  readonly lambdaMin: number;
  readonly ritzValues: Float64Array;
  readonly products: number;
}

/**
 * The extreme eigenvalues of an energy's Hessian in its state, by Lanczos on Hessian-vector
 * programs (so on any backend). This is local curvature at one state: for a quadratic energy it
 * is the global L; otherwise check it along the trajectory (it is cheap) rather than trust it.
 */
export async function energyCurvature(energy: Energy, state: HostTensor, params: ParamValues, options: EnergyCurvatureOptions = {}): Promise<EnergyCurvature> {
  checkParams(energy, params, state.dtype, "energyCurvature");
  const backend = options.backend ?? new ReferenceBackend();
  const n = sizeOf(state.shape);
  const executable = await backend.compile(energyHvpProgram(energy, state.shape, state.dtype, options.terms));
  const op: LinearOperator = {
    rows: n,
    cols: n,
    apply: async (v) => {
      const outs = await executable.run({ ...params, state, vector: hostTensor(v, state.shape, state.dtype) });
      const product = outs["product"]!;
      const values = toFloat64(await product.read());
      product.dispose();
      return values;
    },
  };
  const run = await lanczos(op, { steps: Math.min(n, options.iterations ?? 20), seed: options.seed ?? 0 });
  const ritz = run.ritzValues;
  return { lambdaMax: ritz[ritz.length - 1]!, lambdaMin: ritz[0]!, ritzValues: ritz, products: ritz.length };
}

/**
 * The gradient step size curvature allows (docs/mathematics.md, 'Curvature of an energy'): any alpha < 2/L decreases a smooth
 * energy whose Hessian is bounded by L; `fraction` of that bound is returned, 1/2 by default,
 * i.e. alpha = 1/L, the step that minimizes the quadratic upper bound.
 */
export function curvatureStepSize(lambdaMax: number, options: { readonly fraction?: number } = {}): number {
  const fraction = options.fraction ?? 0.5;
  if (!(fraction > 0 && fraction < 1)) throw new UnfoldError("curvatureStepSize", `fraction must lie in (0, 1) (the bound 2/L itself does not descend), got ${fraction}`);
  if (!(lambdaMax > 0) || !Number.isFinite(lambdaMax)) {
    throw new UnfoldError("curvatureStepSize", `needs a positive, finite lambda_max, got ${lambdaMax} (non-positive curvature bounds no step)`);
  }
  return (2 * fraction) / lambdaMax;
}

/** Whether a step size is below 2 / lambda_max at a state. */
export interface StepSizeCheck {
  readonly stepSize: number;
  readonly lambdaMax: number;
  /** 2 / lambda_max: steps below it descend (at this state's curvature). */
  readonly bound: number;
  readonly ok: boolean;
}

/** Whether a schedule's step size is below the bound the energy's curvature at `state` allows. */
export async function checkStepSizeByCurvature(
  energy: Energy,
  state: HostTensor,
  params: ParamValues,
  stepSize: number,
  options: EnergyCurvatureOptions = {},
): Promise<StepSizeCheck> {
  const { lambdaMax } = await energyCurvature(energy, state, params, options);
  const bound = lambdaMax > 0 ? 2 / lambdaMax : Infinity;
  return { stepSize, lambdaMax, bound, ok: stepSize < bound };
}

/** Options of `curvatureStepBound`: limit or check the schedule's sizes, the fraction of 2/L, which steps. */
export interface CurvatureStepBoundOptions extends EnergyCurvatureOptions {
  /** "limit" (default): run min(scheduled, bound); "check": report scheduled sizes above it. */
  readonly mode?: "check" | "limit";
  /** Fraction of 2 / lambda_max the bound allows (curvatureStepSize); 1/2 by default: 1 / L. */
  readonly fraction?: number;
  /** Only these steps (by name). */
  readonly steps?: readonly string[];
}

/**
 * A step-size bound for core's runUnfolding (its `stepSizeBound` option) from the energy's
 * curvature at the current state: fraction * 2 / lambda_max of the Hessian of the step's terms,
 * recomputed before every step (Lanczos on Hessian-vector programs, so it costs `iterations`
 * products per step). An energy with no positive curvature at the state bounds nothing there.
 */
export function curvatureStepBound(energy: Energy, options: CurvatureStepBoundOptions = {}): StepSizeBound {
  const { mode = "limit", fraction, steps, ...curvature } = options;
  return {
    mode,
    ...(steps ? { steps } : {}),
    bound: async (ctx) => {
      const terms = curvature.terms ?? (ctx.step.terms.length > 0 ? ctx.step.terms : undefined);
      const { lambdaMax } = await energyCurvature(energy, ctx.state, ctx.params, { ...curvature, ...(terms ? { terms } : {}) });
      return lambdaMax > 0 ? curvatureStepSize(lambdaMax, fraction === undefined ? {} : { fraction }) : Number.POSITIVE_INFINITY;
    },
  };
}
