// What the studio can descend: each energy of the zoo on its own seeded example. A scene is pure
// (no DOM), so the browser test builds the very same unfolding in Node for its reference trace.
import { type DType, type HostTensor, type ParamValues, Random, type Step, type Unfolding } from "@unfold/core";
import { ATTENTION_TERM } from "@unfold/energies";
import { ZOO, type ZooEntry } from "@unfold/energies/zoo";
import { yangSceneInstance } from "./yang-scene.js";

/** One energy with its example, as the page offers it. */
export interface Scene {
  /** The zoo entry's name: the value of the energy <select> and the test's key. */
  readonly name: string;
  readonly reference: string;
  readonly guarantee: string;
  build(dtype: DType): SceneInstance;
}

/** A scene in one dtype: the unfolding (its steps and energy), the initial tokens and parameters. */
export interface SceneInstance {
  readonly unfolding: Unfolding;
  readonly state: HostTensor;
  /** One set per layer of the example (untied), or one set (tied). */
  readonly params: readonly ParamValues[];
  /**
   * Layer l's own seeded set, for untied weights, where the scene can draw one for any layer
   * (layer 0's is params[0]); absent where the example's sets are all there is.
   */
  readonly layerParams?: (layer: number) => ParamValues;
}

function sceneOf(entry: ZooEntry): Scene {
  return {
    name: entry.name,
    reference: entry.reference,
    guarantee: entry.guarantee,
    build(dtype) {
      const example = entry.example(dtype);
      const params = Array.isArray(example.params) ? (example.params as readonly ParamValues[]) : [example.params as ParamValues];
      return { unfolding: example.unfolding, state: example.state, params };
    },
  };
}

const POINTS = 24;
const POINT_LAYERS = 8;

/**
 * Tokens as points in `dim` dimensions, for intuition: the Yang et al. unfolding (one head) on 24
 * seeded points, non-negative as its ReLU step's projection set wants them.
 */
function pointsScene(dim: 2 | 3): Scene {
  return {
    name: `points-${dim}d`,
    reference: `${POINTS} seeded points in ${dim}-D under the Yang et al. energy (NeurIPS 2022), one head`,
    guarantee: "each step lowers its own term: the attention MM step for any damping in (0, 2), the ReLU step below 2/L",
    build(dtype) {
      const rng = new Random(200 + dim);
      // Spread (|N(0, 3^2)|) past the attention kernel's width, so the tokens gather in clusters rather than all at their mean.
      const tokens = Float64Array.from({ length: POINTS * dim }, () => 3 * Math.abs(rng.normal()));
      return yangSceneInstance({ dim, tokens, shape: [1, POINTS, dim], layers: POINT_LAYERS, seed: 100 + dim }, dtype);
    },
  };
}

/** Every energy of the zoo, in its order, then the point clouds. */
export const SCENES: readonly Scene[] = [...ZOO.map(sceneOf), pointsScene(2), pointsScene(3)];

/** The scene named `name`; an unknown name is an error that lists the known ones. */
export function sceneNamed(name: string): Scene {
  const scene = SCENES.find((s) => s.name === name);
  if (!scene) throw new Error(`energy '${name}' is not in the zoo (known: ${SCENES.map((s) => s.name).join(", ")})`);
  return scene;
}

/**
 * The step the step-size slider drives: the first gradient step (the one curvature bounds), else
 * the first proximal (gradient) step, else the first other step that takes a size and is not the
 * damping slider's (dampedStep); undefined when no step is left.
 */
export function tunableStep(unfolding: Unfolding): { index: number; step: Step } | undefined {
  const steps = unfolding.steps;
  const damped = dampedStep(unfolding)?.index;
  let index = steps.findIndex((s) => s.kind === "gradient");
  if (index < 0) index = steps.findIndex((s) => s.kind === "proximal");
  if (index < 0) index = steps.findIndex((s, i) => s.kind !== "projection" && i !== damped);
  return index < 0 ? undefined : { index, step: steps[index]! };
}

/**
 * The step the damping slider drives: the first closed-form (majorize-minimize) step on the Yang
 * attention term alone, as yangLayerSteps makes it; undefined when the unfolding has none (the
 * Energy Transformer's 'attention' term is descended by a gradient step, not this one).
 */
export function dampedStep(unfolding: Unfolding): { index: number; step: Step } | undefined {
  const index = unfolding.steps.findIndex((s) => s.kind === "closedForm" && s.terms.length === 1 && s.terms[0] === ATTENTION_TERM);
  return index < 0 ? undefined : { index, step: unfolding.steps[index]! };
}
