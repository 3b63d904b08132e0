import { UnfoldError } from "../errors.js";
import type { Energy } from "../energy/energy.js";
import type { Step } from "./steps.js";

export type GuardMode = "off" | "warn" | "throw" | "backoff";

export interface GuardOptions {
  /** What to do when a step raises what it should lower. */
  readonly mode: GuardMode;
  /** 'terms': the step's own terms (what it promises to descend); 'total': the whole energy. */
  readonly watch?: "terms" | "total";
  /** Relative increase tolerated as rounding; by default 1e-10 in float64 and 1e-5 in float32. */
  readonly slack?: number;
  /** Backoff multiplies the step size by this factor and retries. */
  readonly backoffFactor?: number;
  readonly maxBackoffs?: number;
}

export interface UnfoldingConfig {
  readonly energy: Energy;
  /** One layer applies these steps in order. */
  readonly steps: readonly Step[];
  readonly layers: number;
  /** Tied: every layer uses one parameter set (unfolding one energy). Untied: one set per layer. */
  readonly tiedWeights?: boolean;
  /** Per-step overrides by step name: one size for all layers, or one per layer. */
  readonly stepSizes?: Readonly<Record<string, number | readonly number[]>>;
  readonly guard?: GuardOptions;
  /** Stop once a layer changes the total energy by at most this fraction of its magnitude. */
  readonly tolerance?: number;
}

/** A validated unfolding: K layers of steps descending one energy. */
export interface Unfolding {
  readonly energy: Energy;
  readonly steps: readonly Step[];
  readonly layers: number;
  readonly tiedWeights: boolean;
  readonly guard: Required<Omit<GuardOptions, "slack">> & { readonly slack?: number };
  readonly tolerance: number | undefined;
  /** Step size of step `s` at layer `l` (0-based). */
  stepSize(s: number, layer: number): number;
}

export function defineUnfolding(config: UnfoldingConfig): Unfolding {
  const where = "defineUnfolding";
  if (!Number.isInteger(config.layers) || config.layers < 1) {
    throw new UnfoldError(where, `layers must be a positive integer, got ${config.layers}`);
  }
  if (config.steps.length === 0) throw new UnfoldError(where, "steps must list at least one step");
  const names = config.steps.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UnfoldError(where, `two steps are named '${dup}'; give them distinct names`);
  const sizes = config.stepSizes ?? {};
  for (const [name, value] of Object.entries(sizes)) {
    if (!names.includes(name)) throw new UnfoldError(where, `stepSizes.${name} names no step (steps: ${names.join(", ")})`);
    const list = typeof value === "number" ? [value] : value;
    if (typeof value !== "number" && list.length !== config.layers) {
      throw new UnfoldError(where, `stepSizes.${name} lists ${list.length} sizes for ${config.layers} layers`);
    }
    list.forEach((v, i) => {
      if (!Number.isFinite(v) || v <= 0) throw new UnfoldError(where, `stepSizes.${name}[${i}] must be a positive number, got ${v}`);
    });
  }
  const guard = config.guard ?? { mode: "off" };
  const factor = guard.backoffFactor ?? 0.5;
  if (!(factor > 0 && factor < 1)) throw new UnfoldError(where, `guard.backoffFactor must be in (0, 1), got ${factor}`);
  if (config.tolerance !== undefined && !(config.tolerance >= 0)) {
    throw new UnfoldError(where, `tolerance must be a non-negative number, got ${config.tolerance}`);
  }
  return {
    energy: config.energy,
    steps: config.steps,
    layers: config.layers,
    tiedWeights: config.tiedWeights ?? true,
    guard: { mode: guard.mode, watch: guard.watch ?? "terms", backoffFactor: factor, maxBackoffs: guard.maxBackoffs ?? 30, ...(guard.slack !== undefined ? { slack: guard.slack } : {}) },
    tolerance: config.tolerance,
    stepSize: (s, layer) => {
      const step = config.steps[s]!;
      const override = sizes[step.name];
      if (override === undefined) return step.stepSize;
      return typeof override === "number" ? override : override[layer]!;
    },
  };
}
