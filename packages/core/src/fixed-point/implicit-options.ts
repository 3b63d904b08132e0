// The options of implicitGradient, checked so that each error names the option and what was given.
import type { Backend } from "../backend/backend.js";
import type { DType } from "../dtype.js";
import { DTypeError, ShapeError, UnfoldError, formatShape } from "../errors.js";
import { type Shape, sameShape } from "../shape.js";
import { requireBoolean, requireInteger, requireOneOf, requireOptions } from "../validate.js";
import { type AdjointOptions, type ResolvedAdjointOptions, resolveAdjointOptions } from "./adjoint-solve.js";
import { type LayerMap } from "./layer-map.js";
import { type ParamInputs, type TensorInput, checkParamInputs, checkTensorInput } from "./resident-inputs.js";

/** How the gradient at the fixed point is taken. */
export const BACKWARD_MODES = ["implicit", "jfb", "phantom"] as const;
/**
 * 'implicit': solve the adjoint equation u = J_Y^T u + g, the exact gradient at a fixed point;
 * 'jfb': Jacobian-free backprop, u = g (no solve); 'phantom': backprop through k damped steps of T from Y*.
 */
export type BackwardMode = (typeof BACKWARD_MODES)[number];

/** The phantom gradient's unrolling: k steps Y <- (1 - damping) Y + damping T(Y) from Y*. */
export interface PhantomOptions {
  /** k, at least 1. */
  readonly steps: number;
  /** lambda in (0, 1]; 1 (undamped) by default. */
  readonly damping?: number;
}

/**
 * What implicitGradient takes. The state, the parameters and the cotangent may each be a host
 * tensor (uploaded for the call, freed after it) or a tensor resident on the call's backend (used
 * in place, never disposed by the call).
 */
export interface ImplicitGradientOptions {
  /** The fixed point Y* = T(Y*) (a forward solver's result). */
  readonly state: TensorInput;
  /** The energy's parameters, as at the forward solve. */
  readonly params: ParamInputs;
  /** dL/dY*, the loss's gradient at the fixed point, like the state. */
  readonly cotangent: TensorInput;
  /** 'implicit' by default. */
  readonly backward?: BackwardMode;
  /** The adjoint solve, for backward 'implicit' only. */
  readonly adjoint?: AdjointOptions;
  /** The unrolling, for backward 'phantom' only (required there). */
  readonly phantom?: PhantomOptions;
  /**
   * Return the gradients resident on the backend instead of reading them back (default false):
   * `grads` are then DeviceTensors the caller owns and disposes.
   */
  readonly resident?: boolean;
}

/** The options checked, with their defaults. */
export interface ResolvedImplicitOptions {
  readonly state: TensorInput;
  readonly params: ParamInputs;
  readonly cotangent: TensorInput;
  /** The state's shape and dtype. */
  readonly shape: Shape;
  readonly dtype: DType;
  readonly resident: boolean;
  readonly backward: BackwardMode;
  readonly adjoint: ResolvedAdjointOptions | null;
  readonly phantom: { readonly steps: number; readonly damping: number } | null;
}

const KEYS = ["state", "params", "cotangent", "backward", "adjoint", "phantom", "resident"];

/** Checks implicitGradient's options against the layer map's energy (resident tensors against `backend`). */
export function resolveImplicitOptions(op: string, map: LayerMap, options: unknown, backend: Backend): ResolvedImplicitOptions {
  const o = requireOptions(op, "options", options, KEYS) as unknown as ImplicitGradientOptions;
  const state = checkTensorInput(op, "options.state", o.state, backend, true);
  const cotangent = checkTensorInput(op, "options.cotangent", o.cotangent, backend, true);
  if (!sameShape(cotangent.shape, state.shape)) {
    throw new ShapeError(op, `options.cotangent has shape ${formatShape(cotangent.shape)}; it is dL/dY* and must be like the state, ${formatShape(state.shape)}`);
  }
  if (cotangent.dtype !== state.dtype) throw new DTypeError(op, `options.cotangent is ${cotangent.dtype}, the state is ${state.dtype}`);
  checkParamInputs(map.energy, o.params, state.dtype, `${op}: options.params`, backend);
  requireBoolean(op, "options.resident", o.resident);
  const backward = o.backward === undefined ? "implicit" : requireOneOf(op, "options.backward", o.backward, BACKWARD_MODES);
  if (o.adjoint !== undefined && backward !== "implicit") throw new UnfoldError(op, `options.adjoint applies to backward 'implicit' only, not '${backward}'`);
  if (o.phantom !== undefined && backward !== "phantom") throw new UnfoldError(op, `options.phantom applies to backward 'phantom' only, not '${backward}'`);
  const adjoint = backward === "implicit" ? resolveAdjointOptions(op, o.adjoint) : null;
  return {
    state: o.state,
    params: o.params,
    cotangent: o.cotangent,
    shape: state.shape,
    dtype: state.dtype,
    resident: o.resident ?? false,
    backward,
    adjoint,
    phantom: backward === "phantom" ? resolvePhantom(op, o.phantom) : null,
  };
}

function resolvePhantom(op: string, options: unknown): { steps: number; damping: number } {
  if (options === undefined) throw new UnfoldError(op, "backward 'phantom' needs options.phantom: { steps: k } (the damped steps unrolled from the fixed point)");
  const o = requireOptions(op, "options.phantom", options, ["steps", "damping"]) as unknown as PhantomOptions;
  const steps = requireInteger(op, "options.phantom.steps", o.steps, 1);
  const damping = o.damping ?? 1;
  if (typeof damping !== "number" || !(damping > 0 && damping <= 1)) {
    throw new UnfoldError(op, `options.phantom.damping must be a number in (0, 1], got ${String(damping)}`);
  }
  return { steps, damping };
}
