import { type Backend, type DType, type HostTensor, ReferenceBackend, type UnfoldTrace, hostTensor, runUnfolding } from "@unfold/core";
import type { ZooEntry } from "@unfold/energies/zoo";
import { ConformanceError, type OutputComparison, type ReferenceValue, compareOutput } from "../compare.js";
import { TOLERANCES } from "../check.js";
import { exampleOf, widen, widenParams, withGuard } from "./example.js";
import { poisoned } from "./poison.js";

/**
 * A zoo example's unfolding run end to end with runUnfolding (state and parameters resident, one
 * program per step, energies read back after every step) is held to the same bound as the
 * conformance suite's unfolding case: a few layers of programs of hundreds to thousands of nodes,
 * in which float32 rounding (unit roundoff 6e-8) grows with depth; 1e-4 leaves room for that and
 * still fails a kernel off by 1e-3.
 */
export const ZOO_TOLERANCE = TOLERANCES.unfolding;

/** Where a check ran, for messages: "zoo entry 'yang' on backend 'cpu' (float32)". */
const where = (entry: ZooEntry, backend: string, dtype: DType): string => `zoo entry '${entry.name}' on backend '${backend}' (${dtype})`;

/** What the agreement check measured: relative errors of the final state and of the energies by layer. */
export interface ZooAgreement {
  readonly entry: string;
  readonly dtype: DType;
  readonly comparisons: readonly OutputComparison[];
}

interface ReferenceTrace {
  readonly state: HostTensor;
  readonly trace: UnfoldTrace;
}

// The float64 reference run of an entry's example is the same for every backend: run once per
// entry and dtype (the entry objects are the cache keys, so a new list gets new runs).
const references = new WeakMap<ZooEntry, Map<DType, Promise<ReferenceTrace>>>();

/**
 * The float64 reference run of the example in `dtype`: the very host values a backend gets,
 * widened, run on the reference interpreter with the guard off (a rise is the guard checks' job).
 */
export function referenceTrace(entry: ZooEntry, dtype: DType): Promise<ReferenceTrace> {
  const byDType = references.get(entry) ?? new Map<DType, Promise<ReferenceTrace>>();
  references.set(entry, byDType);
  let run = byDType.get(dtype);
  if (!run) {
    run = (async () => {
      const example = exampleOf(entry, dtype);
      const reference = new ReferenceBackend();
      try {
        const unfolding = withGuard(example.unfolding, { mode: "off" });
        return await runUnfolding(unfolding, reference, { state: widen(example.state), params: widenParams(example.params) });
      } finally {
        await reference.dispose();
      }
    })();
    // A failed reference run is not cached: the next check reports it again.
    run.catch(() => byDType.delete(dtype));
    byDType.set(dtype, run);
  }
  return run;
}

/** Per-layer values of a trace as one output: the energy (term undefined) or one term. */
function byLayer(trace: UnfoldTrace, dtype: DType, term?: string): HostTensor {
  const values = trace.layers.map((l) => (term === undefined ? l.energy : (l.terms[term] ?? Number.NaN)));
  return hostTensor(values, [values.length], dtype);
}

function asReference(t: HostTensor, dtype: DType): ReferenceValue {
  return { shape: t.shape, dtype, data: Float64Array.from(t.data) };
}

/**
 * Runs the entry's example on `backend` in `dtype` (compiled poisoned, guard off) and compares it
 * with the float64 reference run: the final state, the total energy after every layer and each
 * term after every layer, by relative error against ZOO_TOLERANCE. Throws a ConformanceError naming
 * the entry, the backend and every output that disagrees (with its worst layer or element).
 */
export async function checkZooAgreement(entry: ZooEntry, backend: Backend, dtype: DType): Promise<ZooAgreement> {
  const context = where(entry, backend.name, dtype);
  const example = exampleOf(entry, dtype);
  const expected = await referenceTrace(entry, dtype);
  const unfolding = withGuard(example.unfolding, { mode: "off" });
  const actual = await runUnfolding(unfolding, poisoned(backend), { state: example.state, params: example.params });
  const layers = expected.trace.layers.length;
  if (actual.trace.layers.length !== layers) {
    throw new ConformanceError(`${context}: ran ${actual.trace.layers.length - 1} layers, the reference ran ${layers - 1}`);
  }
  const tolerance = ZOO_TOLERANCE[dtype];
  const terms = example.unfolding.energy.terms.map((t) => t.name);
  const comparisons = [
    compareOutput("state", actual.state, asReference(expected.state, dtype), tolerance),
    compareOutput("energy by layer", byLayer(actual.trace, dtype), asReference(byLayer(expected.trace, "float64"), dtype), tolerance),
    ...terms.map((term) =>
      compareOutput(`term '${term}' by layer`, byLayer(actual.trace, dtype, term), asReference(byLayer(expected.trace, "float64", term), dtype), tolerance),
    ),
  ];
  const problems = comparisons.flatMap((c) => (c.problem ? [c.problem] : []));
  if (problems.length > 0) {
    throw new ConformanceError(`${context}: ${problems.length} of ${comparisons.length} outputs disagree with the float64 reference\n  ${problems.join("\n  ")}`);
  }
  return { entry: entry.name, dtype, comparisons };
}

/**
 * Runs the entry's example on `backend` in `dtype` under a throwing monotonicity guard that
 * watches `watch`: the step's own terms, or the total energy. The entry's descent guarantee says
 * no step raises what it descends; a rise (beyond the guard's rounding slack) fails, naming the
 * entry, the layer, the step and the energies.
 */
export async function checkZooGuard(entry: ZooEntry, backend: Backend, dtype: DType, watch: "terms" | "total"): Promise<UnfoldTrace> {
  const example = exampleOf(entry, dtype);
  const unfolding = withGuard(example.unfolding, { mode: "throw", watch });
  try {
    return (await runUnfolding(unfolding, poisoned(backend), { state: example.state, params: example.params })).trace;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConformanceError(`${where(entry, backend.name, dtype)}: the guard (mode 'throw', watch '${watch}') stopped the run: ${message}`);
  }
}
