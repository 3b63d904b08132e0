import { UnfoldError } from "./errors.js";

/**
 * Checks of the arguments and options of the public API. TypeScript catches most mistakes, but
 * not values that come from JSON, from a config file, or through `as` casts; these checks turn
 * each into an error that names the function, the option and the value, where a missing check
 * would give a TypeError deep inside or, worse, silently do something else.
 */

/** A value as an error message shows it: strings quoted, arrays and objects by kind and size. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}' (a string)`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of ${value.length} element${value.length === 1 ? "" : "s"}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as unknown as ArrayLike<unknown>).length} values`;
  if (typeof value === "object") {
    if (isTensorLike(value)) return `a Tensor [${value.shape.join(", ")}]`;
    const keys = Object.keys(value);
    if (keys.length === 0) return "an empty object";
    const shown = keys.slice(0, 5).join(", ");
    return `an object with key${keys.length === 1 ? "" : "s"} ${shown}${keys.length > 5 ? ", ..." : ""}`;
  }
  return String(value);
}

/** Duck-typed, to describe a Tensor without importing the tracing code here. */
function isTensorLike(value: object): value is { shape: number[] } {
  return "graph" in value && "id" in value && Array.isArray((value as { shape?: unknown }).shape);
}

const quoted = (choices: readonly string[]): string => choices.map((c) => `'${c}'`).join(", ");

/** A plain object (not null, not an array): an options bag or a record. */
export function requireRecord(op: string, field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new UnfoldError(op, `${field} must be an object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Refuses a key the options do not have: a misspelt option would otherwise be ignored. */
export function requireKnownKeys(op: string, field: string, value: Record<string, unknown>, known: readonly string[], noun = "option"): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new UnfoldError(op, `unknown ${noun} '${key}' in ${field} (known: ${known.join(", ")})`);
  }
}

/** An options bag with only known keys. */
export function requireOptions(op: string, field: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  const record = requireRecord(op, field, value);
  requireKnownKeys(op, field, record, known);
  return record;
}

/** A non-empty string, or an error naming `op` and `field`; returns it. */
export function requireName(op: string, field: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) throw new UnfoldError(op, `${field} must be a non-empty string, got ${describeValue(value)}`);
  return value;
}

/** A function, or an error naming `op` and `field`. */
export function requireFunction(op: string, field: string, value: unknown): void {
  if (typeof value !== "function") throw new UnfoldError(op, `${field} must be a function, got ${describeValue(value)}`);
}

export function requireOptionalFunction(op: string, field: string, value: unknown): void {
  if (value !== undefined) requireFunction(op, field, value);
}

export function requireBoolean(op: string, field: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") throw new UnfoldError(op, `${field} must be true or false, got ${describeValue(value)}`);
}

/** A finite number above zero: a step size, a scale. */
export function requirePositive(op: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new UnfoldError(op, `${field} must be a positive finite number, got ${describeValue(value)}`);
  }
  return value;
}

/** A finite number at or above zero: a slack, a tolerance. */
export function requireNonNegative(op: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new UnfoldError(op, `${field} must be a finite number >= 0, got ${describeValue(value)}`);
  }
  return value;
}

/** An integer at least `min`, or an error naming `op` and `field`; returns it. */
export function requireInteger(op: string, field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new UnfoldError(op, `${field} must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/** One of `choices`, or an error naming `op`, `field` and the choices; returns it. */
export function requireOneOf<T extends string>(op: string, field: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new UnfoldError(op, `${field} must be one of ${quoted(choices)}, got ${describeValue(value)}`);
  return value as T;
}

/** An array of non-empty strings, each at most once. */
export function requireNames(op: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new UnfoldError(op, `${field} must be an array of names, got ${describeValue(value)}`);
  value.forEach((v, i) => requireName(op, `${field}[${i}]`, v));
  const dup = value.find((v, i) => value.indexOf(v) !== i);
  if (dup !== undefined) throw new UnfoldError(op, `${field} lists '${dup}' twice`);
  return value as string[];
}
