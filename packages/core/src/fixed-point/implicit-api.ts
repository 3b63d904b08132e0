// The public API of implicit differentiation through a fixed point and of Jacobian
// regularisation, re-exported whole from the package index.
export { type ImplicitGradient, type ResidentImplicitGradient, implicitGradient } from "./implicit.js";
export { type BackwardMode, type ImplicitGradientOptions, type PhantomOptions, BACKWARD_MODES } from "./implicit-options.js";
export { type AdjointOptions, type AdjointReport, type AdjointSolver, ADJOINT_SOLVERS } from "./adjoint-solve.js";
export {
  ADJOINT_NAMES,
  adjointIterationProgram,
  adjointOperatorProgram,
  gradOutput,
  parameterVjpProgram,
  phantomProgram,
  scaledHessianProgram,
  whyNotPlainGradient,
} from "./adjoint-programs.js";
export { type JacobianProbeOptions, JACOBIAN_PENALTY_OUTPUT, gaussianProbes, jacobianFrobeniusEstimate, jacobianPenaltyProgram } from "./jacobian-penalty.js";
