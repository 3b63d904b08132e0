import { type DType, type HostTensor, type Program, type Shape, formatShape, relativeError, sizeOf, stridesOf } from "@unfold/core";

/**
 * Comparing a backend's outputs with the float64 reference, output by output. Everything here
 * is a pure function of host values, so the suite's verdicts can themselves be unit-tested on
 * deliberately wrong results (see test/self-test.test.ts).
 */

/** A backend broke the contract. Messages say which output, where and by how much. */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConformanceError";
  }
}

/** What the comparison found for one output. `problem` is set when the output fails. */
export interface OutputComparison {
  readonly name: string;
  /** ||out - ref|| / ||ref|| over the finite reference elements (NaN when not comparable). */
  readonly error: number;
  readonly problem?: string;
}

/** The float64 reference value of one output, as the interpreter computed it. */
export interface ReferenceValue {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly data: Float64Array;
}

/** The reference values of a program's outputs, from `interpret`'s map. */
export function referenceValues(program: Program, values: ReadonlyMap<string, Float64Array>): Record<string, ReferenceValue> {
  const out: Record<string, ReferenceValue> = {};
  for (const o of program.outputs) {
    const node = program.nodes[o.id]!;
    const data = values.get(o.name);
    if (!data) throw new ConformanceError(`the reference computed no output '${o.name}'`);
    out[o.name] = { shape: node.shape, dtype: node.dtype, data };
  }
  return out;
}

/** Row-major flat index to a multi-index, for messages. */
function indexOf(flat: number, shape: Shape): string {
  if (shape.length === 0) return "[]";
  return formatShape(stridesOf(shape).map((s, i) => Math.floor(flat / s) % shape[i]!));
}

function arrayDType(data: ArrayLike<number>): string {
  return data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : "a plain array";
}

/**
 * Compares one output with its reference. Fails on: a wrong shape, dtype or length; data whose
 * array type does not match the dtype; any NaN (buffers are poisoned with NaN, so a NaN is an
 * element nobody wrote, unless the reference has one, which no case allows); an infinity the
 * reference does not have at that element; a relative error above `tolerance`.
 */
export function compareOutput(name: string, actual: HostTensor, expected: ReferenceValue, tolerance: number): OutputComparison {
  const fail = (problem: string, error = Number.NaN): OutputComparison => ({ name, error, problem: `output '${name}': ${problem}` });
  const want = `${expected.dtype}${formatShape(expected.shape)}`;
  if (actual.dtype !== expected.dtype) return fail(`dtype is ${actual.dtype}, the program says ${want}`);
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return fail(`shape is ${formatShape(actual.shape)}, the program says ${want}`);
  }
  const size = sizeOf(expected.shape);
  if (actual.data.length !== size) return fail(`holds ${actual.data.length} values for ${want} (${size} elements)`);
  if (arrayDType(actual.data) !== expected.dtype) return fail(`is ${expected.dtype} but its data is ${arrayDType(actual.data)}`);
  const ref = expected.data;
  if (ref.length !== size) throw new ConformanceError(`reference for '${name}' holds ${ref.length} values for ${want}`);

  const finiteActual: number[] = [];
  const finiteRef: number[] = [];
  for (let i = 0; i < size; i++) {
    const a = actual.data[i]!;
    const r = ref[i]!;
    if (Number.isNaN(r)) throw new ConformanceError(`reference for '${name}' is NaN at ${indexOf(i, expected.shape)}: the case is invalid`);
    if (Number.isNaN(a)) {
      return fail(`NaN at element ${indexOf(i, expected.shape)} (reference ${r}): an element left unwritten or computed wrongly`);
    }
    if (!Number.isFinite(r) || !Number.isFinite(a)) {
      if (a !== r) return fail(`element ${indexOf(i, expected.shape)} is ${a}, the reference is ${r}`);
      continue;
    }
    finiteActual.push(a);
    finiteRef.push(r);
  }
  const error = relativeError(finiteActual, finiteRef);
  if (!(error <= tolerance)) {
    let worst = 0;
    let worstAt = -1;
    for (let i = 0; i < size; i++) {
      const d = Math.abs(actual.data[i]! - ref[i]!);
      if (d > worst) {
        worst = d;
        worstAt = i;
      }
    }
    const at = worstAt >= 0 ? `; worst element ${indexOf(worstAt, expected.shape)}: ${actual.data[worstAt]} vs reference ${ref[worstAt]}` : "";
    return fail(`relative error ${error.toExponential(3)} exceeds ${tolerance.toExponential(1)} (${want})${at}`, error);
  }
  return { name, error };
}

/** Compares every output of a run with the reference; a missing or an extra output fails too. */
export function compareOutputs(
  actual: Readonly<Record<string, HostTensor>>,
  expected: Readonly<Record<string, ReferenceValue>>,
  tolerance: number,
): OutputComparison[] {
  const results: OutputComparison[] = [];
  for (const [name, ref] of Object.entries(expected)) {
    const out = actual[name];
    results.push(out ? compareOutput(name, out, ref, tolerance) : { name, error: Number.NaN, problem: `output '${name}' is missing` });
  }
  for (const name of Object.keys(actual)) {
    if (!(name in expected)) results.push({ name, error: Number.NaN, problem: `output '${name}' is not an output of the program` });
  }
  return results;
}

/** Throws a ConformanceError listing every failing output; returns the comparisons otherwise. */
export function assertMatchesReference(
  actual: Readonly<Record<string, HostTensor>>,
  expected: Readonly<Record<string, ReferenceValue>>,
  tolerance: number,
  context = "",
): OutputComparison[] {
  const results = compareOutputs(actual, expected, tolerance);
  const problems = results.flatMap((r) => (r.problem ? [r.problem] : []));
  if (problems.length > 0) {
    const where = context ? `${context}: ` : "";
    throw new ConformanceError(`${where}${problems.length} of ${results.length} outputs disagree with the reference\n  ${problems.join("\n  ")}`);
  }
  return results;
}
