// How many conjugate-gradient iterations an implicit gradient's adjoint solve should take, from
// the spectrum of the energy's Hessian at the fixed point. When the layer map is one plain
// gradient step, the adjoint equation is alpha H u = dL/dY* (docs/fixed-points.md, section 3), and CG on
// an SPD matrix of condition number kappa = lambda_max / lambda_min satisfies
// ||e_k||_A <= 2 ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^k ||e_0||_A <= 2 exp(-2k / sqrt(kappa)) ||e_0||_A.
import { type HostTensor, type LayerMap, type ParamValues, UnfoldError, requireOptions, requirePositive, whyNotPlainGradient } from "@unfold/core";
import { type EnergyCurvatureOptions, energyCurvature } from "./curvature.js";

/**
 * The iterations after which the CG bound guarantees an A-norm error ratio ||e_k||_A / ||e_0||_A
 * of at most `tol`: ceil(sqrt(kappa) / 2 * ln(2 / tol)). Infinity when kappa is not finite.
 */
export function cgIterationBound(conditionNumber: number, tol: number): number {
  const op = "cgIterationBound";
  if (typeof conditionNumber !== "number" || Number.isNaN(conditionNumber) || conditionNumber < 1) {
    throw new UnfoldError(op, `conditionNumber must be a number >= 1 (lambda_max / lambda_min), got ${String(conditionNumber)}`);
  }
  requirePositive(op, "tol", tol);
  if (!Number.isFinite(conditionNumber)) return Infinity;
  return Math.max(0, Math.ceil((Math.sqrt(conditionNumber) / 2) * Math.log(2 / tol)));
}

/** A CG forecast at a fixed point: the Hessian's extreme eigenvalues, kappa and the iteration bounds. */
export interface CgForecast {
  /** The extreme Ritz values of H (of the terms the step descends): lambda_min from above, lambda_max from below. */
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  /** lambda_max / lambda_min; Infinity when lambda_min <= 0 (not a strict minimum: CG's bound says nothing). */
  readonly conditionNumber: number;
  /** The standard forecast: iterations for an A-norm error ratio of tol, cgIterationBound(kappa, tol). */
  readonly predictedIterations: number;
  /**
   * Iterations that guarantee a relative residual of tol (the stopping test implicitGradient uses):
   * cgIterationBound(kappa, tol / sqrt(kappa)), since ||r||/||r_0|| <= sqrt(kappa) ||e||_A/||e_0||_A.
   * A theorem in exact arithmetic when kappa is exact (Lanczos run to the full size).
   */
  readonly guaranteedIterations: number;
  /** Hessian-vector products the Lanczos run took. */
  readonly products: number;
}

/** Options of cgForecast: the relative residual CG is to reach, and the Lanczos run. */
export interface CgForecastOptions extends Omit<EnergyCurvatureOptions, "terms"> {
  /** The adjoint solve's tolerance (its adjoint.tol); 1e-8 by default. */
  readonly tol?: number;
}

/**
 * Forecasts the CG adjoint solve of implicitGradient at the fixed point `state` of `map` (one
 * plain gradient step, else refused naming why): Lanczos on the Hessian of the terms the step
 * descends gives lambda_min, lambda_max and kappa (of alpha H as of H), and the bounds give the
 * iterations. Lanczos with fewer steps than the state's size underestimates kappa.
 */
export async function cgForecast(map: LayerMap, state: HostTensor, params: ParamValues, options: CgForecastOptions = {}): Promise<CgForecast> {
  const op = "cgForecast";
  const why = whyNotPlainGradient(map);
  if (why !== null) throw new UnfoldError(op, `CG applies when T is one plain gradient step, but ${why}`);
  requireOptions(op, "options", options, ["tol", "backend", "iterations", "seed"]);
  const { tol: given, ...lanczos } = options;
  const tol = given === undefined ? 1e-8 : requirePositive(op, "tol", given);
  const curvature = await energyCurvature(map.energy, state, params, { ...lanczos, terms: map.steps[0]!.terms });
  const { lambdaMin, lambdaMax } = curvature;
  const conditionNumber = lambdaMin > 0 ? Math.max(1, lambdaMax / lambdaMin) : Infinity;
  return {
    lambdaMin,
    lambdaMax,
    conditionNumber,
    predictedIterations: cgIterationBound(conditionNumber, tol),
    guaranteedIterations: Number.isFinite(conditionNumber) ? cgIterationBound(conditionNumber, tol / Math.sqrt(conditionNumber)) : Infinity,
    products: curvature.products,
  };
}
