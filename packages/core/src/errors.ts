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

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
