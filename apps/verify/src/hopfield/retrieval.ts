import { type Backend, type HostTensor, Random, defineUnfolding, hostTensor, runUnfolding, toFloat64 } from "@unfold/core";
import { MNIST_SIDE, loadMnist } from "@unfold/datasets";
import { hopfieldEnergy, hopfieldStep } from "@unfold/energies";
import { CORRUPTIONS, type Corruption, LEVELS, corrupt, unitNorm } from "./corruption.js";
import { type RetrievalNetwork, type RetrievalUnfolding, lagrangianRetrieval } from "./lagrangian-network.js";

const DIM = MNIST_SIDE * MNIST_SIDE;

export interface RetrievalOptions {
  /** N: bundled MNIST digits stored as the patterns (balanced over the classes). */
  readonly memories: number;
  readonly beta: number;
  /** K: CCCP steps (full steps, a = 1) each query takes. */
  readonly steps: number;
  /** Seeds the masks and the noise. */
  readonly seed: number;
  readonly backend: Backend;
  /** The Hopfield energy with its CCCP step (the default), or the same energy as a two-layer Lagrangian network. */
  readonly network?: RetrievalNetwork;
  readonly levels?: readonly number[];
  readonly onStep?: (step: number) => void;
}

/** Retrieval under one corruption at one level, over one corrupted query per stored digit. */
export interface RetrievalRow {
  readonly corruption: Corruption;
  readonly level: number;
  /** Fraction of queries whose retrieved state's nearest stored pattern is the digit they were made from. */
  readonly accuracy: number;
  /** The same for the corrupted query itself, before any step: what nearest-neighbour lookup gets. */
  readonly queryAccuracy: number;
  /** Mean cosine between the right pattern and the query, before and after the K steps. */
  readonly cosineBefore: number;
  readonly cosineAfter: number;
}

export interface RetrievalResult {
  readonly network: RetrievalNetwork;
  readonly memories: number;
  readonly beta: number;
  readonly steps: number;
  readonly seed: number;
  readonly rows: readonly RetrievalRow[];
  /** Total energy of all queries at the start and after the last step. */
  readonly energy: { readonly start: number; readonly end: number };
  /** Steps taken in all: K CCCP steps, or 2K network steps. */
  readonly stepsTaken: number;
  /** Of those, the steps that raised the energy beyond rounding (the theory says none). */
  readonly rises: number;
}

/**
 * Stores N bundled MNIST digits, scaled to unit norm, as the patterns X of the modern Hopfield
 * energy; makes one corrupted query per digit for every corruption and level (also scaled to
 * unit norm, so beta means the same at every level); runs K CCCP steps on all of them at once
 * through runUnfolding (or K layers of the two-layer Lagrangian network, which are the same K
 * CCCP steps); and scores each query by the stored pattern nearest to where it ends.
 */
export async function hopfieldRetrieval(options: RetrievalOptions): Promise<RetrievalResult> {
  const { memories: n, beta, steps, seed } = options;
  const levels = options.levels ?? LEVELS;
  const { images } = loadMnist({ count: n });
  const patterns = new Float64Array(n * DIM);
  for (let i = 0; i < n; i++) patterns.set(unitNorm(images.subarray(i * DIM, (i + 1) * DIM)), i * DIM);

  const cases = CORRUPTIONS.flatMap((corruption) => levels.map((level) => ({ corruption, level })));
  const queries = new Float64Array(cases.length * n * DIM);
  const rng = new Random(seed);
  cases.forEach(({ corruption, level }, c) => {
    for (let i = 0; i < n; i++) {
      const query = unitNorm(corrupt(images.subarray(i * DIM, (i + 1) * DIM), corruption, level, rng));
      queries.set(query, (c * n + i) * DIM);
    }
  });

  const network = options.network ?? "hopfield";
  const X = hostTensor(patterns, [n, DIM]);
  const queryTensor = hostTensor(queries, [cases.length * n, DIM]);
  const run = network === "lagrangian" ? lagrangianRetrieval({ dim: DIM, memories: n, beta, layers: steps }, queryTensor, X) : cccpRetrieval(n, beta, steps, queryTensor);
  const { state, trace } = await runUnfolding(run.unfolding, options.backend, { state: run.state, params: { X }, onLayer: (record) => options.onStep?.(record.layer) });
  const retrieved = run.queriesOf(state);

  const rows = cases.map(({ corruption, level }, c) => {
    let hits = 0;
    let queryHits = 0;
    let cosineBefore = 0;
    let cosineAfter = 0;
    for (let i = 0; i < n; i++) {
      const at = (c * n + i) * DIM;
      const before = queries.subarray(at, at + DIM);
      const after = retrieved.subarray(at, at + DIM);
      if (nearestPattern(patterns, n, after) === i) hits++;
      if (nearestPattern(patterns, n, before) === i) queryHits++;
      const target = patterns.subarray(i * DIM, (i + 1) * DIM);
      cosineBefore += cosine(before, target);
      cosineAfter += cosine(after, target);
    }
    return { corruption, level, accuracy: hits / n, queryAccuracy: queryHits / n, cosineBefore: cosineBefore / n, cosineAfter: cosineAfter / n };
  });
  return {
    network,
    memories: n,
    beta,
    steps,
    seed,
    rows,
    energy: { start: trace.layers[0]!.energy, end: trace.layers.at(-1)!.energy },
    stepsTaken: trace.steps.length,
    rises: trace.steps.filter((s) => s.increased).length,
  };
}

/** K CCCP steps of the modern Hopfield energy on the queries themselves. */
function cccpRetrieval(memories: number, beta: number, layers: number, queries: HostTensor): RetrievalUnfolding {
  const energy = hopfieldEnergy({ dim: DIM, memories, beta });
  const unfolding = defineUnfolding({ energy, steps: [hopfieldStep(energy)], layers, guard: { mode: "warn", watch: "total" } });
  return { unfolding, state: queries, queriesOf: toFloat64 };
}

/** The index of the stored pattern nearest to v in Euclidean distance; -1 on a tie, which retrieves nothing. */
export function nearestPattern(patterns: Float64Array, n: number, v: ArrayLike<number>): number {
  let best = -1;
  let bestDistance = Infinity;
  let tied = false;
  for (let m = 0; m < n; m++) {
    let d = 0;
    for (let k = 0; k < DIM; k++) d += (patterns[m * DIM + k]! - v[k]!) ** 2;
    if (d < bestDistance) [best, bestDistance, tied] = [m, d, false];
    else if (d === bestDistance) tied = true;
  }
  return tied ? -1 : best;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < DIM; k++) {
    dot += a[k]! * b[k]!;
    na += a[k]! ** 2;
    nb += b[k]! ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
