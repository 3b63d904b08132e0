// The energy written in the editor, as a scene the page descends like a zoo energy: seeded
// tokens at the editor's example shape, seeded parameters at their declared shapes (meeting
// their constraints), and gradient steps on its smooth terms. Pure (no DOM), so the browser test
// builds the very same unfolding in Node for its reference trace.
import { type DType, type Energy, type HostTensor, type ParamSpec, type ParamValues, Random, defineUnfolding, gradientStep, hostTensor, sizeOf } from "@unfold/core";
import type { Scene } from "./scenes.js";

/** The scene's name in the energy <select>. */
export const EDITOR_SCENE = "editor";
/** Layers of the editor's unfolding (the layers slider changes it as for any scene). */
export const EDITOR_LAYERS = 8;
/** Its gradient step's size before the slider moves it. */
export const EDITOR_STEP_SIZE = 0.5;

/**
 * Values for one declared parameter, drawn from N(0, 1/d) with d its last axis (so products with
 * the state stay of order one): symmetric parameters are averaged with their transpose over the
 * last two axes, non-negative ones take absolute values.
 */
function paramValues(name: string, spec: ParamSpec, rng: Random, dtype: DType): HostTensor {
  const shape = spec.shape;
  const scale = 1 / Math.sqrt(Math.max(1, shape.at(-1) ?? 1));
  const values = Float64Array.from({ length: sizeOf(shape) }, () => scale * rng.normal());
  if (spec.constraint === "symmetric") {
    const n = shape.at(-1)!;
    if (shape.length < 2 || shape.at(-2) !== n) throw new Error(`parameter '${name}' is declared symmetric but its shape [${shape.join(", ")}] does not end in a square`);
    for (let base = 0; base < values.length; base += n * n) {
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) values[base + j * n + i] = values[base + i * n + j]!;
    }
  } else if (spec.constraint === "nonNegative") {
    for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]!);
  }
  return hostTensor(values, shape, dtype);
}

/**
 * The scene of an energy from the editor at state shape `shape`. The state and parameters are
 * drawn in float64 from fixed seeds and rounded once, so every dtype (and Node) gets the same
 * values. An energy with no smooth term has nothing a gradient step can descend: an error says so.
 */
export function editorScene(energy: Energy, shape: readonly number[]): Scene {
  const smooth = energy.terms.filter((t) => !t.prox).map((t) => t.name);
  if (smooth.length === 0) throw new Error(`energy '${energy.name}' has no smooth term: the studio descends it by gradient steps, which need one`);
  return {
    name: EDITOR_SCENE,
    reference: `'${energy.name}', written in the editor: gradient steps on ${smooth.map((t) => `'${t}'`).join(", ")}, tokens of shape [${shape.join(", ")}]`,
    guarantee: "a gradient step below 2/L lowers the terms it descends",
    build(dtype) {
      const rng = new Random(300);
      const state = hostTensor(Float64Array.from({ length: sizeOf(shape) }, () => rng.normal()), shape, dtype);
      const params: ParamValues = Object.fromEntries(Object.entries(energy.params as Record<string, ParamSpec>).map(([name, spec]) => [name, paramValues(name, spec, rng, dtype)]));
      const steps = [gradientStep(energy, { stepSize: EDITOR_STEP_SIZE, terms: smooth, name: "gradient" })];
      return { unfolding: defineUnfolding({ energy, steps, layers: EDITOR_LAYERS }), state, params: [params] };
    },
  };
}
