// What the studio can descend: each energy of the zoo on its own seeded example. A scene is pure
// (no DOM), so the browser test builds the very same unfolding in Node for its reference trace.
import { type DType, type HostTensor, type ParamValues, Random, type Step, type Unfolding, defineUnfolding, hostTensor } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { ZOO, type ZooEntry } from "@unfold/energies/zoo";

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
 * Tokens as points in `dim` dimensions, for intuition: the Yang et al. unfolding (tied, one head)
 * on 24 seeded points, non-negative as its ReLU step's projection set wants them.
 */
function pointsScene(dim: 2 | 3): Scene {
  return {
    name: `points-${dim}d`,
    reference: `${POINTS} seeded points in ${dim}-D under the Yang et al. energy (NeurIPS 2022), one head, tied weights`,
    guarantee: "each step lowers its own term: the attention MM step for any damping in (0, 2), the ReLU step below 2/L",
    build(dtype) {
      const energy = yangEnergy({ dim });
      // Drawn in float64 and rounded once, so every dtype gets the same values and step size.
      const exact = initYangParams({ dim }, { seed: 100 + dim });
      const steps = yangLayerSteps(energy, { attentionStepSize: 0.5, feedForwardStepSize: safeFeedForwardStepSize(exact, dim) });
      const rng = new Random(200 + dim);
      // Spread (|N(0, 3^2)|) past the attention kernel's width, so the tokens gather in clusters rather than all at their mean.
      const points = Float64Array.from({ length: POINTS * dim }, () => 3 * Math.abs(rng.normal()));
      const params = Object.fromEntries(Object.entries(exact).map(([name, t]) => [name, hostTensor(t.data, t.shape, dtype)]));
      return {
        unfolding: defineUnfolding({ energy, steps, layers: POINT_LAYERS }),
        state: hostTensor(points, [1, POINTS, dim], dtype),
        params: [params],
      };
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
 * the first step that takes a size at all; undefined when every step is a projection.
 */
export function tunableStep(unfolding: Unfolding): { index: number; step: Step } | undefined {
  const steps = unfolding.steps;
  let index = steps.findIndex((s) => s.kind === "gradient");
  if (index < 0) index = steps.findIndex((s) => s.kind !== "projection");
  return index < 0 ? undefined : { index, step: steps[index]! };
}
