// Jacobian regularisation of a fixed-point model: a Hutchinson estimate of ||J_Y||_F^2, J_Y = dT/dY,
// added to the training loss keeps T contractive near its fixed point, so that forward and adjoint
// solves keep converging as theta trains. It is traced, so its gradient in theta comes from
// autodiff (a double backward through the vector-Jacobian product).
// See docs/fixed-points.md, section 4.
import type { DType } from "../dtype.js";
import { gradients } from "../autodiff/gradients.js";
import { paramLeaves } from "../energy/energy.js";
import { ShapeError, UnfoldError, formatShape } from "../errors.js";
import type { Program } from "../ir/program.js";
import { Random } from "../random.js";
import { type Shape, sameShape, sizeOf } from "../shape.js";
import { Graph, Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { requireInteger, requireOptions } from "../validate.js";
import { type LayerMap, applyLayer } from "./layer-map.js";

/** Output name of jacobianPenaltyProgram's estimate. */
export const JACOBIAN_PENALTY_OUTPUT = "jacobianPenalty";

/** How many probes and from which seed. */
export interface JacobianProbeOptions {
  /** Probe vectors v ~ N(0, I); more lower the variance (2 ||J J^T||_F^2 / m for m probes). */
  readonly probes: number;
  readonly seed: number;
}

/**
 * `count` standard normal probe vectors of `shape`, drawn from `seed`, as constants of `graph`:
 * the same seed gives the same probes, so a training step's penalty is reproducible.
 */
export function gaussianProbes(graph: Graph, shape: Shape, dtype: DType, options: JacobianProbeOptions): Tensor[] {
  const op = "gaussianProbes";
  const o = requireOptions(op, "options", options, ["probes", "seed"]) as unknown as JacobianProbeOptions;
  const count = requireInteger(op, "probes", o.probes, 1);
  const seed = requireInteger(op, "seed", o.seed, 0);
  const rng = new Random(seed);
  return Array.from({ length: count }, () => graph.constant(rng.normals(sizeOf(shape)), shape, dtype));
}

/**
 * (1/m) sum_i ||J_Y^T v_i||^2 over the m `probes`, traced into `state`'s graph: an unbiased
 * estimate of ||J_Y||_F^2 at `state` when the probes are standard normal (E[v v^T] = I), and
 * exactly ||J_Y||_F^2 / m when they are the m = size basis vectors. Differentiable in the
 * parameters (and in the state).
 */
export function jacobianFrobeniusEstimate(map: LayerMap, state: Tensor, params: Record<string, Tensor>, probes: readonly Tensor[]): Tensor {
  const op = "jacobianFrobeniusEstimate";
  if (!(state instanceof Tensor)) throw new UnfoldError(op, "state must be a Tensor of the graph being traced");
  if (!Array.isArray(probes) || probes.length === 0) throw new UnfoldError(op, "probes must be a non-empty array of Tensors (see gaussianProbes)");
  probes.forEach((v, i) => {
    if (!(v instanceof Tensor) || v.graph !== state.graph) throw new UnfoldError(op, `probes[${i}] must be a Tensor of the state's graph`);
    if (!sameShape(v.shape, state.shape)) throw new ShapeError(op, `probes[${i}] has shape ${formatShape(v.shape)}, the state ${formatShape(state.shape)}`);
  });
  const next = applyLayer(map, state, params);
  const squares = probes.map((v) => {
    const jtv = gradients(next, [state], v)[0]!;
    return ops.sum(ops.mul(jtv, jtv));
  });
  return ops.mul(squares.reduce((a, b) => ops.add(a, b)), state.graph.constant(1 / probes.length, [], state.dtype));
}

/** state, params -> `jacobianPenalty`: jacobianFrobeniusEstimate with seeded Gaussian probes, as a program. */
export function jacobianPenaltyProgram(map: LayerMap, shape: Shape, dtype: DType, options: JacobianProbeOptions): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", shape, dtype);
  const params = paramLeaves(map.energy, graph, dtype);
  const probes = gaussianProbes(graph, shape, dtype, options);
  return graph.toProgram({ [JACOBIAN_PENALTY_OUTPUT]: jacobianFrobeniusEstimate(map, state, params, probes) });
}
