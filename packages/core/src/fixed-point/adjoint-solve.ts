// What every adjoint solver takes and reports. The adjoint equation is A u = g with
// A = I - J_Y^T (J_Y = dT/dY at the fixed point) and g = dL/dY*; see docs/fixed-points.md, section 3.
import type { DeviceTensor } from "../backend/backend.js";
import { UnfoldError } from "../errors.js";
import { requireBoolean, requireInteger, requireOneOf, requireOptions, requirePositive } from "../validate.js";

/** The adjoint solvers: fixed-point iteration u <- J_Y^T u + g, restarted GMRES, or conjugate gradients on alpha H. */
export const ADJOINT_SOLVERS = ["iteration", "gmres", "cg"] as const;
/** One of ADJOINT_SOLVERS. */
export type AdjointSolver = (typeof ADJOINT_SOLVERS)[number];

/** How to solve the adjoint equation. */
export interface AdjointOptions {
  /** 'gmres' by default; 'cg' only when T is one plain gradient step (then A = alpha H, symmetric). */
  readonly solver?: AdjointSolver;
  /** Stop when ||g - A u|| / ||g|| is at most this; 1e-8 by default. */
  readonly tol?: number;
  /** At most this many products with A (or iterations of u <- J_Y^T u + g); 100 by default. */
  readonly maxIterations?: number;
  /** GMRES only: the Krylov basis is restarted after this many vectors, which bounds its memory; 20 by default. */
  readonly restart?: number;
  /** Throw when the solve stops above tol instead of reporting converged: false; false by default. */
  readonly requireConvergence?: boolean;
}

/** The adjoint options with their defaults. */
export interface ResolvedAdjointOptions {
  readonly solver: AdjointSolver;
  readonly tol: number;
  readonly maxIterations: number;
  readonly restart: number;
  readonly requireConvergence: boolean;
}

/** How an adjoint solve went. A solve that stops above tol says so here (converged: false, and why). */
export interface AdjointReport {
  readonly solver: AdjointSolver;
  /** Products with A (iterations of the fixed-point solver), not counting the final residual check. */
  readonly iterations: number;
  /** The relative residual ||g - A u|| / ||g|| of the returned u, computed afresh at the end (0 when g = 0). */
  readonly residual: number;
  readonly converged: boolean;
  /** The relative residual the solver tracked at each iteration (GMRES: its estimate; CG: the recursive one). */
  readonly residuals: readonly number[];
  /** Why it stopped without converging: the iteration cap, a non-finite residual, or non-positive curvature (CG). */
  readonly stopReason?: string;
}

/** A solve's resident solution and its report. */
export interface AdjointSolution {
  readonly solution: DeviceTensor;
  readonly report: AdjointReport;
}

/** A linear operator on resident vectors: v -> A v, a new tensor. */
export type DeviceOperator = (vector: DeviceTensor) => Promise<DeviceTensor>;

const ADJOINT_KEYS = ["solver", "tol", "maxIterations", "restart", "requireConvergence"];

/** Checks the adjoint options (each error names the option) and fills in the defaults. */
export function resolveAdjointOptions(op: string, options: unknown): ResolvedAdjointOptions {
  const o = requireOptions(op, "adjoint", options ?? {}, ADJOINT_KEYS) as AdjointOptions;
  const solver = o.solver === undefined ? "gmres" : requireOneOf(op, "adjoint.solver", o.solver, ADJOINT_SOLVERS);
  const tol = o.tol === undefined ? 1e-8 : requirePositive(op, "adjoint.tol", o.tol);
  const maxIterations = o.maxIterations === undefined ? 100 : requireInteger(op, "adjoint.maxIterations", o.maxIterations, 1);
  if (o.restart !== undefined && solver !== "gmres") throw new UnfoldError(op, `adjoint.restart applies to solver 'gmres' only, not '${solver}'`);
  const restart = o.restart === undefined ? 20 : requireInteger(op, "adjoint.restart", o.restart, 1);
  requireBoolean(op, "adjoint.requireConvergence", o.requireConvergence);
  return { solver, tol, maxIterations, restart, requireConvergence: o.requireConvergence ?? false };
}

/** The error a solve that did not converge throws under requireConvergence, naming the solver, residual and cause. */
export function notConverged(op: string, report: AdjointReport, tol: number): UnfoldError {
  return new UnfoldError(
    op,
    `the adjoint solve (solver '${report.solver}') did not converge: relative residual ${report.residual.toExponential(3)} > adjoint.tol ${tol} after ${report.iterations} iterations` +
      `${report.stopReason ? ` (${report.stopReason})` : ""}; raise adjoint.maxIterations, loosen adjoint.tol, try another adjoint.solver, or check that the forward solve converged`,
  );
}
