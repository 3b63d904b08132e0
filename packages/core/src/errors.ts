/**
 * Every error Unfold raises about user input is an UnfoldError. Messages name the operation,
 * the shapes involved and the user's label for the value, so a mistake is reported where it is
 * made rather than later and farther away.
 */
export class UnfoldError extends Error {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = "UnfoldError";
  }
}

export class ShapeError extends UnfoldError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "ShapeError";
  }
}

export class DTypeError extends UnfoldError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "DTypeError";
  }
}

export class FeedError extends UnfoldError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "FeedError";
  }
}

/** The energy went up where the schedule's monotonicity guard said it must not. */
export class MonotonicityError extends UnfoldError {
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "MonotonicityError";
  }
}

/** Describes a value for an error message: its label when the user gave one. */
export function describe(label: string | undefined, shape: readonly number[]): string {
  return label ? `'${label}' ${formatShape(shape)}` : formatShape(shape);
}

/** A shape as messages print it: `[2, 3]`, and `[]` for a scalar. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Errors that already say where they arose, so an outer place does not claim them too. */
const located = new WeakSet<Error>();

/** Marks an error as saying where it arose (its message names the term or step itself). */
export function locatedError<E extends UnfoldError>(error: E): E {
  located.add(error);
  return error;
}

/**
 * The places user code is running in, innermost last: what `within` is inside of while tracing.
 * A graph records the innermost on every node it appends, so that a later refusal (an export
 * with a symbolic batch axis, say) can name the term or step a node came from rather than its id.
 */
const places: string[] = [];

/**
 * Runs user code (a term, an activation, a step's prox) so that an UnfoldError raised inside
 * it says where: "mul: ... (in term 'pull' of energy 'toy')". The innermost place wins, so a
 * term traced inside a step is reported as the term.
 */
export function within<T>(where: string, fn: () => T): T {
  places.push(where);
  try {
    return fn();
  } catch (error) {
    if (error instanceof UnfoldError && !located.has(error)) {
      const before = error.message;
      // The stack's first line repeats the message; keep the two in agreement. V8 writes that
      // line when the stack is first read, from the message as it is then, so the stack is read
      // before the message changes (read after, it would already end with the place, and the
      // replace would add it a second time).
      const stack = error.stack;
      error.message = `${before} (in ${where})`;
      if (typeof stack === "string") error.stack = stack.replace(before, error.message);
      located.add(error);
    }
    throw error;
  } finally {
    places.pop();
  }
}

/** Where the user code now running is (a term, a step), or undefined outside any. */
export function currentPlace(): string | undefined {
  return places.at(-1);
}

/**
 * Runs `fn` with `place` as the innermost place, without `within`'s error locating: how autodiff
 * attributes the nodes it generates ("the gradient of term 'x' of energy 'y'").
 */
export function atPlace<T>(place: string | undefined, fn: () => T): T {
  if (place === undefined) return fn();
  places.push(place);
  try {
    return fn();
  } finally {
    places.pop();
  }
}
