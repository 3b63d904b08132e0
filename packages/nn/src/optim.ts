import { ShapeError, type Tensor, UnfoldError, ops } from "@unfold/core";
import { describeArg, requireCompatible, requireFinite, requireInRange, requireScalar, requireTensor } from "./check.js";

/** AdamW's hyperparameters; each has a default. */
export interface AdamWOptions {
  /** Decay of the first moment; 0.9 by default. */
  readonly beta1?: number;
  /** Decay of the second moment; 0.999 by default. */
  readonly beta2?: number;
  /** Added to sqrt(v-hat); 1e-8 by default. */
  readonly epsilon?: number;
  /** Decoupled decay per unit learning rate, for parameters flagged in `decay`; 0.01 by default. */
  readonly weightDecay?: number;
  /** Global-norm gradient clipping; off when undefined. */
  readonly clipNorm?: number;
}

/** What one AdamW update reads: parameters, gradients, moments, learning rate, step and decay flags. */
export interface AdamWState {
  readonly params: Record<string, Tensor>;
  readonly grads: Record<string, Tensor>;
  readonly m: Record<string, Tensor>;
  readonly v: Record<string, Tensor>;
  readonly learningRate: Tensor;
  /** 1-based step count t as a scalar tensor, for the bias corrections 1 - beta^t. */
  readonly step: Tensor;
  /** Whether each parameter is decayed; every parameter needs an entry. */
  readonly decay: Readonly<Record<string, boolean>>;
}

/** What one AdamW update gives: the next parameters and moments, and the gradient norm. */
export interface AdamWResult {
  readonly params: Record<string, Tensor>;
  readonly m: Record<string, Tensor>;
  readonly v: Record<string, Tensor>;
  /** ||g|| over all gradients together, before clipping. */
  readonly gradNorm: Tensor;
}

const DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 } as const;

/** Keeps the clipping factor finite when every gradient is zero. */
const NORM_FLOOR = 1e-12;

function resolveOptions(options: AdamWOptions): Required<Omit<AdamWOptions, "clipNorm">> & { clipNorm: number | undefined } {
  const op = "adamwUpdate";
  const resolved = { ...DEFAULTS, ...options };
  requireInRange(op, "beta1", resolved.beta1, 0, 1, false);
  requireInRange(op, "beta2", resolved.beta2, 0, 1, false);
  if (requireFinite(op, "epsilon", resolved.epsilon) <= 0) throw new UnfoldError(op, `epsilon must be > 0, got ${resolved.epsilon}`);
  if (requireFinite(op, "weightDecay", resolved.weightDecay) < 0) throw new UnfoldError(op, `weightDecay must be >= 0, got ${resolved.weightDecay}`);
  const clipNorm = options.clipNorm;
  if (clipNorm !== undefined && !(requireFinite(op, "clipNorm", clipNorm) > 0)) throw new UnfoldError(op, `clipNorm must be > 0, got ${clipNorm}`);
  return { ...resolved, clipNorm };
}

/** Every record has exactly the params' names, with the param's shape and trace. */
function checkState(state: AdamWState): string[] {
  const op = "adamwUpdate";
  if (typeof state !== "object" || state === null) throw new UnfoldError(op, "state must be an AdamWState");
  const names = Object.keys(state.params ?? {}).sort();
  if (names.length === 0) throw new UnfoldError(op, "state.params is empty: there is nothing to update");
  const same = (field: "grads" | "m" | "v" | "decay"): void => {
    const record = state[field];
    if (typeof record !== "object" || record === null) throw new UnfoldError(op, `state.${field} is missing`);
    const missing = names.filter((n) => !(n in record));
    const extra = Object.keys(record).filter((n) => !(n in state.params));
    if (missing.length || extra.length) {
      const parts = [missing.length ? `lacks ${missing.join(", ")}` : "", extra.length ? `has unknown ${extra.join(", ")}` : ""];
      throw new UnfoldError(op, `state.${field} ${parts.filter(Boolean).join(" and ")} (params: ${names.join(", ")})`);
    }
  };
  for (const field of ["grads", "m", "v", "decay"] as const) same(field);
  for (const n of names) {
    const p = requireTensor(op, `params.${n}`, state.params[n]);
    for (const field of ["grads", "m", "v"] as const) {
      const t = requireTensor(op, `${field}.${n}`, state[field][n]);
      requireCompatible(op, [`params.${n}`, p], [`${field}.${n}`, t]);
      if (t.rank !== p.rank || t.shape.some((d, i) => d !== p.shape[i])) {
        throw new ShapeError(op, `${describeArg(`${field}.${n}`, t)} does not match ${describeArg(`params.${n}`, p)}`);
      }
    }
    if (typeof state.decay[n] !== "boolean") throw new UnfoldError(op, `decay.${n} must be a boolean, got ${String(state.decay[n])}`);
  }
  const first = state.params[names[0]!]!;
  for (const field of ["learningRate", "step"] as const) {
    const t = requireTensor(op, field, state[field]);
    requireScalar(op, field, t);
    requireCompatible(op, [`params.${names[0]}`, first], [field, t]);
  }
  return names;
}

/** A size-1 tensor as rank 0, so it broadcasts against any parameter. */
function asScalar(t: Tensor): Tensor {
  return t.rank === 0 ? t : ops.reshape(t, []);
}

/**
 * One AdamW step (Loshchilov & Hutter): the decay is decoupled from the moments, p <- p -
 * lr (m-hat / (sqrt(v-hat) + eps) + weightDecay p) for decayed parameters. With `clipNorm`, all
 * gradients are first scaled by min(1, clipNorm / (||g|| + 1e-12)), ||g|| taken over all of them.
 */
export function adamwUpdate(state: AdamWState, options: AdamWOptions = {}): AdamWResult {
  const { beta1, beta2, epsilon, weightDecay, clipNorm } = resolveOptions(options);
  const names = checkState(state);
  const lr = asScalar(state.learningRate);
  const t = asScalar(state.step);
  const squares = names.map((n) => ops.sum(ops.mul(state.grads[n]!, state.grads[n]!)));
  const gradNorm = ops.sqrt(squares.reduce((acc, s) => ops.add(acc, s))).named("gradNorm");
  const scale = clipNorm === undefined ? undefined : ops.minimum(ops.div(clipNorm, ops.add(gradNorm, NORM_FLOOR)), 1);
  const correction1 = ops.sub(1, ops.pow(beta1, t));
  const correction2 = ops.sub(1, ops.pow(beta2, t));
  const out: AdamWResult = { params: {}, m: {}, v: {}, gradNorm };
  for (const n of names) {
    const p = state.params[n]!;
    const g = scale ? ops.mul(state.grads[n]!, scale) : state.grads[n]!;
    const m = ops.add(ops.mul(state.m[n]!, beta1), ops.mul(g, 1 - beta1));
    const v = ops.add(ops.mul(state.v[n]!, beta2), ops.mul(ops.mul(g, g), 1 - beta2));
    const mHat = ops.div(m, correction1);
    const vHat = ops.div(v, correction2);
    let direction = ops.div(mHat, ops.add(ops.sqrt(vHat), epsilon));
    if (state.decay[n] && weightDecay > 0) direction = ops.add(direction, ops.mul(p, weightDecay));
    out.params[n] = ops.sub(p, ops.mul(direction, lr));
    out.m[n] = m;
    out.v[n] = v;
  }
  return out;
}

