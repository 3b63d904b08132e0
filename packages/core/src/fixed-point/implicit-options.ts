// The options of implicitGradient, checked so that each error names the option and what was given.
import { checkHostTensor } from "../backend/host-data.js";
import type { HostTensor } from "../backend/tensor.js";
import type { DType } from "../dtype.js";
import { type ParamValues, checkParams } from "../energy/params.js";
import { DTypeError, ShapeError, UnfoldError, formatShape } from "../errors.js";
import { sameShape } from "../shape.js";
import { requireInteger, requireOneOf, requireOptions } from "../validate.js";
import { type AdjointOptions, type ResolvedAdjointOptions, resolveAdjointOptions } from "./adjoint-solve.js";
import { type LayerMap } from "./layer-map.js";

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

/** What implicitGradient takes. */
export interface ImplicitGradientOptions {
  /** The fixed point Y* = T(Y*) (a forward solver's result). */
  readonly state: HostTensor;
  /** The energy's parameters, as at the forward solve. */
  readonly params: ParamValues;
  /** dL/dY*, the loss's gradient at the fixed point, like the state. */
  readonly cotangent: HostTensor;
  /** 'implicit' by default. */
  readonly backward?: BackwardMode;
  /** The adjoint solve, for backward 'implicit' only. */
  readonly adjoint?: AdjointOptions;
  /** The unrolling, for backward 'phantom' only (required there). */
  readonly phantom?: PhantomOptions;
}

/** The options checked, with their defaults. */
export interface ResolvedImplicitOptions {
  readonly state: HostTensor;
  readonly params: ParamValues;
  readonly cotangent: HostTensor;
  readonly dtype: DType;
  readonly backward: BackwardMode;
  readonly adjoint: ResolvedAdjointOptions | null;
  readonly phantom: { readonly steps: number; readonly damping: number } | null;
}

const KEYS = ["state", "params", "cotangent", "backward", "adjoint", "phantom"];

/** Checks implicitGradient's options against the layer map's energy. */
export function resolveImplicitOptions(op: string, map: LayerMap, options: unknown): ResolvedImplicitOptions {
  const o = requireOptions(op, "options", options, KEYS) as unknown as ImplicitGradientOptions;
  const state = checkHostTensor(op, "options.state", o.state, true);
  const cotangent = checkHostTensor(op, "options.cotangent", o.cotangent, true);
  if (!sameShape(cotangent.shape, state.shape)) {
    throw new ShapeError(op, `options.cotangent has shape ${formatShape(cotangent.shape)}; it is dL/dY* and must be like the state, ${formatShape(state.shape)}`);
  }
  if (cotangent.dtype !== state.dtype) throw new DTypeError(op, `options.cotangent is ${cotangent.dtype}, the state is ${state.dtype}`);
  checkParams(map.energy, o.params, state.dtype, `${op}: options.params`);
  const backward = o.backward === undefined ? "implicit" : requireOneOf(op, "options.backward", o.backward, BACKWARD_MODES);
  if (o.adjoint !== undefined && backward !== "implicit") throw new UnfoldError(op, `options.adjoint applies to backward 'implicit' only, not '${backward}'`);
  if (o.phantom !== undefined && backward !== "phantom") throw new UnfoldError(op, `options.phantom applies to backward 'phantom' only, not '${backward}'`);
  const adjoint = backward === "implicit" ? resolveAdjointOptions(op, o.adjoint) : null;
  return { state, params: o.params, cotangent, dtype: state.dtype, backward, adjoint, phantom: backward === "phantom" ? resolvePhantom(op, o.phantom) : null };
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
