// Fixed-point iteration on the adjoint equation: u <- J_Y^T u + g from u = g. It converges when
// the spectral radius of J_Y is below 1, the same condition under which plain forward iteration
// converges; its residual is the adjoint equation's, ||g - (I - J_Y^T) u|| = ||u_next - u||.
import type { DeviceTensor, Executable } from "../backend/backend.js";
import { toFloat64 } from "../backend/tensor.js";
import { ADJOINT_NAMES } from "./adjoint-programs.js";
import type { AdjointSolution, ResolvedAdjointOptions } from "./adjoint-solve.js";
import type { DeviceVectors } from "./adjoint-vectors.js";

/**
 * Solves u = J_Y^T u + g with `step`, a compiled adjointIterationProgram whose resident feeds
 * (state, cotangent g, params) are in `feeds`. Reads back one scalar per iteration; returns the
 * last iterate whose residual was measured (a new tensor, the caller's to dispose).
 */
export async function solveAdjointByIteration(
  step: Executable,
  feeds: Readonly<Record<string, DeviceTensor>>,
  vectors: DeviceVectors,
  cotangentNorm: number,
  options: ResolvedAdjointOptions,
): Promise<AdjointSolution> {
  const residuals: number[] = [];
  const g = feeds[ADJOINT_NAMES.cotangent]!;
  // u starts at a copy of g (Jacobian-free backprop's answer); g itself stays the caller's.
  let u = await vectors.axpy(0, g, g);
  let stopReason: string | undefined = `adjoint.maxIterations ${options.maxIterations} reached`;
  let residual = Number.NaN;
  try {
    for (let k = 0; k < options.maxIterations; k++) {
      const outs = await step.run({ ...feeds, [ADJOINT_NAMES.vector]: u });
      const next = outs[ADJOINT_NAMES.product]!;
      const rSq = outs[ADJOINT_NAMES.residualSq]!;
      const value = toFloat64(await rSq.read())[0]!;
      rSq.dispose();
      residual = cotangentNorm === 0 ? Math.sqrt(value) : Math.sqrt(value) / cotangentNorm;
      residuals.push(residual);
      if (!Number.isFinite(residual)) {
        next.dispose();
        stopReason = `the residual became ${residual} at iteration ${k + 1}`;
        break;
      }
      if (residual <= options.tol || k === options.maxIterations - 1) {
        // Keep u, whose residual was just measured, rather than an unmeasured next.
        next.dispose();
        if (residual <= options.tol) stopReason = undefined;
        break;
      }
      u.dispose();
      u = next;
    }
  } catch (error) {
    u.dispose();
    throw error;
  }
  return {
    solution: u,
    report: { solver: "iteration", iterations: residuals.length, residual, converged: stopReason === undefined, residuals, ...(stopReason ? { stopReason } : {}) },
  };
}
