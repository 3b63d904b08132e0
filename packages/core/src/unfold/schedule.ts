import { UnfoldError } from "../errors.js";
import { requireEnergy } from "../energy/check-energy.js";
import type { Energy } from "../energy/energy.js";
import {
  describeValue,
  requireBoolean,
  requireInteger,
  requireName,
  requireNames,
  requireNonNegative,
  requireOneOf,
  requireOptions,
  requirePositive,
  requireRecord,
} from "../validate.js";
import type { Step, StepKind } from "./steps.js";

/** What the monotonicity guard does about a step that raises what it should lower (see GuardOptions.mode). */
export type GuardMode = "off" | "warn" | "throw" | "backoff";

/** The monotonicity guard: what it watches, what it does about a rise, and how much rounding it forgives. */
export interface GuardOptions {
  /**
   * What to do when a step raises what it should lower: nothing ('off'), a warning, an error, or
   * backing the step size off. The trace records every rise (StepRecord.increased) in every mode.
   */
  readonly mode: GuardMode;
  /** 'terms': the step's own terms (what it promises to descend); 'total': the whole energy. */
  readonly watch?: "terms" | "total";
  /** Relative increase tolerated as rounding; by default 1e-10 in float64 and 1e-5 in float32. */
  readonly slack?: number;
  /** Backoff multiplies the step size by this factor and retries. */
  readonly backoffFactor?: number;
  readonly maxBackoffs?: number;
}

/** What defineUnfolding takes: the energy, one layer's steps, the layer count, and the guard. */
export interface UnfoldingConfig<N extends string = string> {
  readonly energy: Energy<N>;
  /** One layer applies these steps in order. */
  readonly steps: readonly Step<NoInfer<N>>[];
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
export interface Unfolding<N extends string = string> {
  readonly energy: Energy<N>;
  readonly steps: readonly Step<N>[];
  readonly layers: number;
  readonly tiedWeights: boolean;
  readonly guard: Required<Omit<GuardOptions, "slack">> & { readonly slack?: number };
  readonly tolerance: number | undefined;
  /** Step size of step `s` at layer `l` (0-based). */
  stepSize(s: number, layer: number): number;
}

const CONFIG_OPTIONS = ["energy", "steps", "layers", "tiedWeights", "stepSizes", "guard", "tolerance"];
const GUARD_OPTIONS = ["mode", "watch", "slack", "backoffFactor", "maxBackoffs"];
const GUARD_MODES: readonly GuardMode[] = ["off", "warn", "throw", "backoff"];
const WATCHES = ["terms", "total"] as const;
const STEP_KINDS: readonly StepKind[] = ["gradient", "closedForm", "proximal", "projection"];

/**
 * Checks and returns an unfolding: every step is one of this energy's (its terms are the energy's),
 * step names are unique, and the step sizes, guard and tolerance are well formed.
 */
export function defineUnfolding<N extends string>(config: UnfoldingConfig<N>): Unfolding<N> {
  const where = "defineUnfolding";
  requireOptions(where, "the config", config, CONFIG_OPTIONS);
  const energy = requireEnergy(where, "energy", config.energy) as Energy<N>;
  const layers = requireInteger(where, "layers", config.layers, 1);
  requireBoolean(where, "tiedWeights", config.tiedWeights);
  const steps = checkSteps(energy, config.steps) as readonly Step<N>[];
  const sizes = checkStepSizes(config.stepSizes, steps, layers);
  const guard = checkGuard(config.guard);
  if (config.tolerance !== undefined) requireNonNegative(where, "tolerance", config.tolerance);
  return {
    energy,
    steps,
    layers,
    tiedWeights: config.tiedWeights ?? true,
    guard,
    tolerance: config.tolerance,
    stepSize: (s, layer) => {
      const step = steps[s]!;
      const override = sizes[step.name];
      if (override === undefined) return step.stepSize;
      return typeof override === "number" ? override : override[layer]!;
    },
  };
}

/** Each step has the shape the step constructors give it, a unique name, and terms of this energy. */
function checkSteps(energy: Energy, steps: unknown): readonly Step[] {
  const where = "defineUnfolding";
  if (!Array.isArray(steps)) throw new UnfoldError(where, `steps must be an array of steps, got ${describeValue(steps)}`);
  if (steps.length === 0) throw new UnfoldError(where, "steps must list at least one step");
  steps.forEach((value: unknown, i) => {
    const step = requireRecord(where, `steps[${i}]`, value);
    const label = typeof step["name"] === "string" ? `steps[${i}] ('${step["name"]}')` : `steps[${i}]`;
    if (typeof step["apply"] !== "function") {
      throw new UnfoldError(where, `${label} is not a step (it has no apply function); make steps with gradientStep, proximalStep, closedFormStep or projectionStep`);
    }
    requireName(where, `the name of ${label}`, step["name"]);
    requireOneOf(where, `the kind of ${label}`, step["kind"], STEP_KINDS);
    requirePositive(where, `the stepSize of ${label}`, step["stepSize"]);
    for (const term of requireNames(where, `the terms of ${label}`, step["terms"])) {
      if (!energy.terms.some((t) => t.name === term)) {
        const known = energy.terms.map((t) => t.name).join(", ");
        throw new UnfoldError(where, `step '${String(step["name"])}' descends term '${term}', which energy '${energy.name}' does not have (terms: ${known}); was the step made for another energy?`);
      }
    }
  });
  const names = steps.map((s: Step) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UnfoldError(where, `two steps are named '${dup}'; give them distinct names`);
  return steps as Step[];
}

function checkStepSizes(value: unknown, steps: readonly Step[], layers: number): Readonly<Record<string, number | readonly number[]>> {
  const where = "defineUnfolding";
  if (value === undefined) return {};
  const sizes = requireRecord(where, "stepSizes", value);
  const names = steps.map((s) => s.name);
  for (const [name, size] of Object.entries(sizes)) {
    const step = steps.find((s) => s.name === name);
    if (!step) throw new UnfoldError(where, `stepSizes.${name} names no step (steps: ${names.join(", ")})`);
    if (step.kind === "projection") throw new UnfoldError(where, `stepSizes.${name}: step '${name}' is a projection and takes no step size`);
    if (typeof size === "number") {
      requirePositive(where, `stepSizes.${name}`, size);
      continue;
    }
    if (!Array.isArray(size)) throw new UnfoldError(where, `stepSizes.${name} must be a number or an array of one per layer, got ${describeValue(size)}`);
    if (size.length !== layers) throw new UnfoldError(where, `stepSizes.${name} lists ${size.length} sizes for ${layers} layers`);
    size.forEach((v: unknown, i) => requirePositive(where, `stepSizes.${name}[${i}]`, v));
  }
  return sizes as Record<string, number | readonly number[]>;
}

function checkGuard(value: unknown): Unfolding["guard"] {
  const where = "defineUnfolding";
  if (value === undefined) return { mode: "off", watch: "terms", backoffFactor: 0.5, maxBackoffs: 30 };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UnfoldError(where, `guard must be an object such as { mode: 'throw' }, got ${describeValue(value)}`);
  }
  const guard = requireOptions(where, "guard", value, GUARD_OPTIONS) as Partial<GuardOptions>;
  const mode = requireOneOf(where, "guard.mode", guard.mode, GUARD_MODES);
  const watch = guard.watch === undefined ? "terms" : requireOneOf(where, "guard.watch", guard.watch, WATCHES);
  const factor = guard.backoffFactor ?? 0.5;
  if (typeof factor !== "number" || !(factor > 0 && factor < 1)) {
    throw new UnfoldError(where, `guard.backoffFactor must be in (0, 1), got ${describeValue(factor)}`);
  }
  const maxBackoffs = guard.maxBackoffs === undefined ? 30 : requireInteger(where, "guard.maxBackoffs", guard.maxBackoffs, 0);
  const slack = guard.slack === undefined ? undefined : requireNonNegative(where, "guard.slack", guard.slack);
  return { mode, watch, backoffFactor: factor, maxBackoffs, ...(slack !== undefined ? { slack } : {}) };
}
