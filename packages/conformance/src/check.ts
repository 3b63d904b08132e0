import { type Backend, type Executable, type Feeds, type HostTensor, type Program, interpret, isDeviceTensor } from "@unfold/core";
import { ConformanceError, type OutputComparison, type ReferenceValue, assertMatchesReference, referenceValues } from "./compare.js";

/** Relative-error bounds by kind of case and dtype. */
export interface Tolerance {
  readonly float32: number;
  readonly float64: number;
}

/** Relative tolerances against the float64 reference, per kind of case and dtype. */
export const TOLERANCES = {
  /** One primitive, composite or fused chain. */
  operation: { float32: 1e-5, float64: 1e-12 },
  /** Programs of hundreds of nodes: gradients, Hessian-vector products, a descent step, 20 resident updates. */
  program: { float32: 5e-5, float64: 1e-12 },
  /** A 12-layer unfolding. */
  unfolding: { float32: 1e-4, float64: 1e-12 },
} as const satisfies Record<string, Tolerance>;

/** The same host data the backend gets, widened to float64 for the interpreter. */
export function referenceFeeds(feeds: Readonly<Record<string, HostTensor>>): Map<string, Float64Array> {
  return new Map(Object.entries(feeds).map(([name, t]) => [name, Float64Array.from(t.data)]));
}

/** The float64 reference outputs of a program on host feeds. */
export function referenceRun(program: Program, feeds: Readonly<Record<string, HostTensor>>): Record<string, ReferenceValue> {
  return referenceValues(program, interpret(program, referenceFeeds(feeds)));
}

/** Compiles with poisoned buffers, as every check does. */
export function compilePoisoned(backend: Backend, program: Program): Promise<Executable> {
  return backend.compile(program, { poison: true });
}

/**
 * Runs, then reads every output and disposes it, as runToHost does; but also requires each
 * output to be its own DeviceTensor (two outputs sharing one object, or an output that is a
 * DeviceTensor passed in as a feed, break every caller that disposes what it has read) and the
 * caller's host feed arrays to come back untouched.
 */
export async function runChecked(executable: Executable, feeds: Feeds): Promise<Record<string, HostTensor>> {
  const hostCopies = Object.entries(feeds).flatMap(([name, f]) => (isDeviceTensor(f) ? [] : [{ name, data: f.data, copy: f.data.slice() }]));
  const outs = await executable.run(feeds);
  const seen = new Map<unknown, string>();
  for (const [name, feed] of Object.entries(feeds)) if (isDeviceTensor(feed)) seen.set(feed, `the DeviceTensor fed as '${name}'`);
  for (const [name, t] of Object.entries(outs)) {
    const owner = seen.get(t);
    if (owner) {
      throw new ConformanceError(`output '${name}' is ${owner}: every output must be its own DeviceTensor, since whoever reads an output may dispose it`);
    }
    seen.set(t, `output '${name}' too`);
  }
  const result: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(outs)) {
    result[name] = await t.read();
    t.dispose();
  }
  for (const { name, data, copy } of hostCopies) {
    const at = data.findIndex((v, i) => !Object.is(v, copy[i]));
    if (at >= 0) throw new ConformanceError(`the run wrote into the host array fed as '${name}' (element ${at}: ${copy[at]} became ${data[at]})`);
  }
  return result;
}

/**
 * The basic check: compile the program on the backend (poisoned), run it on host feeds, read
 * every output and compare each with the reference interpreter on the same feeds.
 */
export async function checkProgram(
  backend: Backend,
  program: Program,
  feeds: Readonly<Record<string, HostTensor>>,
  tolerance: number,
  context = "",
): Promise<OutputComparison[]> {
  const expected = referenceRun(program, feeds);
  const executable = await compilePoisoned(backend, program);
  const actual = await runChecked(executable, feeds);
  return assertMatchesReference(actual, expected, tolerance, context);
}

/** What an expected rejection must look like. */
export interface ExpectedError {
  /** The core error class's name: FeedError, DTypeError, ... (matched by name, so a second copy of core still counts). */
  readonly name: string;
  /** Substrings the message must contain: the feed's name, the shapes involved. */
  readonly mentions?: readonly string[];
}

function errorClassNames(error: Error): string[] {
  const names: string[] = [];
  for (let proto: unknown = Object.getPrototypeOf(error); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) names.push(ctor.name);
  }
  return [error.name, ...names];
}

/**
 * Asserts that `action` returns a promise that rejects with the expected core error. A promise
 * that resolves, a synchronous throw (callers chain `.then`/`.catch` on what run and compile
 * return), a foreign error class or a message that leaves out what it must name all fail.
 */
export async function expectRejection(what: string, action: () => Promise<unknown>, expected: ExpectedError): Promise<Error> {
  let promise: Promise<unknown>;
  try {
    promise = action();
  } catch (error) {
    throw new ConformanceError(`${what}: threw synchronously (${String(error)}); it must return a rejected promise`);
  }
  let outcome: { rejected: false; value: unknown } | { rejected: true; error: unknown };
  try {
    outcome = { rejected: false, value: await promise };
  } catch (error) {
    outcome = { rejected: true, error };
  }
  if (!outcome.rejected) throw new ConformanceError(`${what}: resolved; it must reject with a ${expected.name}`);
  const error = outcome.error;
  if (!(error instanceof Error)) throw new ConformanceError(`${what}: rejected with ${String(error)}, not a ${expected.name}`);
  if (!errorClassNames(error).includes(expected.name)) {
    throw new ConformanceError(`${what}: rejected with ${error.name} (${error.message}); expected a ${expected.name}`);
  }
  const missing = (expected.mentions ?? []).filter((m) => !error.message.includes(m));
  if (missing.length > 0) {
    throw new ConformanceError(`${what}: the ${error.name} message "${error.message}" does not mention ${missing.map((m) => JSON.stringify(m)).join(", ")}`);
  }
  return error;
}

/** Runs and reads all outputs, then compares them with reference values computed separately. */
export async function runAndCompare(
  executable: Executable,
  feeds: Feeds,
  expected: Readonly<Record<string, ReferenceValue>>,
  tolerance: number,
  context: string,
): Promise<OutputComparison[]> {
  return assertMatchesReference(await runChecked(executable, feeds), expected, tolerance, context);
}
