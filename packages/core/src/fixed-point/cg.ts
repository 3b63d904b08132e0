// Conjugate gradients on the adjoint equation when T is one plain gradient step: there
// A = I - J_Y^T = alpha H, symmetric and (at a strict minimum) positive definite, and CG needs one
// Hessian-vector product and two dot products per iteration, with three resident vectors.
import type { DeviceTensor } from "../backend/backend.js";
import type { AdjointSolution, DeviceOperator, ResolvedAdjointOptions } from "./adjoint-solve.js";
import type { DeviceVectors } from "./adjoint-vectors.js";

/**
 * Solves A u = g for a symmetric positive definite `apply` from u = 0, stopping on the relative
 * residual. Stops (converged: false) on non-positive curvature p^T A p <= 0, which means the
 * state is not a strict minimum. The reported residual is recomputed as ||g - A u|| at the end.
 */
export async function solveAdjointByCg(apply: DeviceOperator, g: DeviceTensor, vectors: DeviceVectors, cotangentNorm: number, options: ResolvedAdjointOptions): Promise<AdjointSolution> {
  const residuals: number[] = [];
  let x = await vectors.axpy(-1, g, g);
  let r = await vectors.axpy(0, g, g);
  let p = await vectors.axpy(0, g, g);
  let rr = cotangentNorm * cotangentNorm;
  let stopReason: string | undefined = `adjoint.maxIterations ${options.maxIterations} reached`;
  try {
    if (cotangentNorm === 0) stopReason = undefined;
    for (let k = 0; k < options.maxIterations && stopReason !== undefined; k++) {
      const ap = await apply(p);
      try {
        const curvature = await vectors.dot(p, ap);
        if (!(curvature > 0)) {
          stopReason = `non-positive curvature p^T A p = ${curvature} at iteration ${k + 1}: the state is not a strict minimum of the energy`;
          break;
        }
        const step = rr / curvature;
        x = await replace(x, vectors.axpy(step, p, x));
        r = await replace(r, vectors.axpy(-step, ap, r));
      } finally {
        ap.dispose();
      }
      const rrNext = await vectors.dot(r, r);
      const residual = Math.sqrt(rrNext) / cotangentNorm;
      residuals.push(residual);
      if (!Number.isFinite(residual)) {
        stopReason = `the residual became ${residual} at iteration ${k + 1}`;
        break;
      }
      if (residual <= options.tol) stopReason = undefined;
      else p = await replace(p, vectors.axpy(rrNext / rr, p, r));
      rr = rrNext;
    }
  } catch (error) {
    x.dispose();
    throw error;
  } finally {
    r.dispose();
    p.dispose();
  }
  const residual = await trueResidual(apply, x, g, vectors, cotangentNorm);
  return {
    solution: x,
    report: { solver: "cg", iterations: residuals.length, residual, converged: stopReason === undefined, residuals, ...(stopReason ? { stopReason } : {}) },
  };
}

/** Disposes `old` once its replacement is made. */
export async function replace(old: DeviceTensor, next: Promise<DeviceTensor>): Promise<DeviceTensor> {
  const made = await next;
  old.dispose();
  return made;
}

/** ||g - A x|| / ||g|| (||g - A x|| when g = 0): one more product, so the report does not trust a recursion. */
export async function trueResidual(apply: DeviceOperator, x: DeviceTensor, g: DeviceTensor, vectors: DeviceVectors, cotangentNorm: number): Promise<number> {
  const ax = await apply(x);
  try {
    const r = await vectors.axpy(-1, ax, g);
    try {
      const norm = Math.sqrt(await vectors.dot(r, r));
      return cotangentNorm === 0 ? norm : norm / cotangentNorm;
    } finally {
      r.dispose();
    }
  } finally {
    ax.dispose();
  }
}
