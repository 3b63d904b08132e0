// Restarted GMRES on the adjoint equation (I - J_Y^T) u = g, for any layer map: it needs no
// symmetry and converges where plain adjoint iteration diverges (spectral radius of J_Y above 1).
// The Krylov basis stays on the backend; the host keeps only the small Hessenberg matrix and its
// Givens rotations, which give the residual norm of every iterate without forming it.
import type { DeviceTensor } from "../backend/backend.js";
import type { AdjointSolution, DeviceOperator, ResolvedAdjointOptions } from "./adjoint-solve.js";
import type { DeviceVectors } from "./adjoint-vectors.js";
import { replace, trueResidual } from "./cg.js";

/**
 * Solves A u = g by GMRES(restart) from u = 0 with modified Gram-Schmidt, at most
 * options.maxIterations products in all. Each restart computes the true residual afresh.
 */
export async function solveAdjointByGmres(apply: DeviceOperator, g: DeviceTensor, vectors: DeviceVectors, cotangentNorm: number, options: ResolvedAdjointOptions): Promise<AdjointSolution> {
  const residuals: number[] = [];
  let x = await vectors.axpy(-1, g, g);
  let stopReason: string | undefined = `adjoint.maxIterations ${options.maxIterations} reached`;
  try {
    if (cotangentNorm === 0) stopReason = undefined;
    while (stopReason !== undefined && residuals.length < options.maxIterations) {
      const cycle = await gmresCycle(apply, g, x, vectors, cotangentNorm, options, options.maxIterations - residuals.length);
      residuals.push(...cycle.residuals);
      x = await replace(x, Promise.resolve(cycle.x));
      if (cycle.stopReason === "converged") stopReason = undefined;
      else if (cycle.stopReason !== "restart") stopReason = cycle.stopReason;
    }
  } catch (error) {
    x.dispose();
    throw error;
  }
  const residual = await trueResidual(apply, x, g, vectors, cotangentNorm);
  return {
    solution: x,
    report: { solver: "gmres", iterations: residuals.length, residual, converged: stopReason === undefined, residuals, ...(stopReason ? { stopReason } : {}) },
  };
}

interface Cycle {
  readonly x: DeviceTensor;
  readonly residuals: number[];
  /** 'converged', 'restart' (the basis is full), or why it stopped early. */
  readonly stopReason: string;
}

/** One GMRES cycle from x0 with up to min(restart, budget) basis vectors; returns a new x. */
async function gmresCycle(apply: DeviceOperator, g: DeviceTensor, x0: DeviceTensor, vectors: DeviceVectors, gNorm: number, options: ResolvedAdjointOptions, budget: number): Promise<Cycle> {
  const size = Math.min(options.restart, budget);
  const ax = await apply(x0);
  let r: DeviceTensor;
  try {
    r = await vectors.axpy(-1, ax, g);
  } finally {
    ax.dispose();
  }
  const basis: DeviceTensor[] = [];
  const residuals: number[] = [];
  try {
    const beta = Math.sqrt(await vectors.dot(r, r));
    if (beta / gNorm <= options.tol) {
      r.dispose();
      return { x: await vectors.axpy(0, x0, x0), residuals, stopReason: "converged" };
    }
    basis.push(await replace(r, vectors.axpy(1 / beta - 1, r, r)));
    // h[j] is column j of the Hessenberg matrix (j + 2 entries), rotated into upper triangular form.
    const h: number[][] = [];
    const cs: number[] = [];
    const sn: number[] = [];
    const s: number[] = [beta];
    let stopReason = "restart";
    for (let j = 0; j < size; j++) {
      let w = await apply(basis[j]!);
      const column: number[] = [];
      for (let i = 0; i <= j; i++) {
        column.push(await vectors.dot(w, basis[i]!));
        w = await replace(w, vectors.axpy(-column[i]!, basis[i]!, w));
      }
      const wNorm = Math.sqrt(await vectors.dot(w, w));
      column.push(wNorm);
      for (let i = 0; i < j; i++) {
        const [a, b] = [column[i]!, column[i + 1]!];
        column[i] = cs[i]! * a + sn[i]! * b;
        column[i + 1] = -sn[i]! * a + cs[i]! * b;
      }
      const denom = Math.hypot(column[j]!, column[j + 1]!);
      cs.push(denom === 0 ? 1 : column[j]! / denom);
      sn.push(denom === 0 ? 0 : column[j + 1]! / denom);
      column[j] = denom;
      column[j + 1] = 0;
      s.push(-sn[j]! * s[j]!);
      s[j] = cs[j]! * s[j]!;
      h.push(column);
      const residual = Math.abs(s[j + 1]!) / gNorm;
      residuals.push(residual);
      if (!Number.isFinite(residual)) {
        w.dispose();
        stopReason = `the residual became ${residual} at iteration ${residuals.length}`;
        break;
      }
      // A zero new direction means the Krylov space is invariant: the solution is in it.
      if (residual <= options.tol || wNorm <= 1e-14 * beta) {
        w.dispose();
        stopReason = residual <= options.tol || wNorm === 0 ? "converged" : stopReason;
        break;
      }
      if (j === size - 1) {
        w.dispose();
        break;
      }
      basis.push(await replace(w, vectors.axpy(1 / wNorm - 1, w, w)));
    }
    // Back substitution for the coefficients y of x = x0 + sum y_i v_i.
    const m = h.length;
    const y = new Array<number>(m).fill(0);
    for (let i = m - 1; i >= 0; i--) {
      let sum = s[i]!;
      for (let k = i + 1; k < m; k++) sum -= h[k]![i]! * y[k]!;
      y[i] = sum / h[i]![i]!;
    }
    let x = await vectors.axpy(0, x0, x0);
    for (let i = 0; i < m; i++) x = await replace(x, vectors.axpy(y[i]!, basis[i]!, x));
    return { x, residuals, stopReason };
  } finally {
    for (const v of basis) v.dispose();
  }
}
