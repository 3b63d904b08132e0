/** An integer flag from `min` to `max`; the error names the flag, the range and the value given. */
export function integerInRange(flag: string, value: string | boolean | undefined, fallback: number, min: number, max: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (value !== undefined && (typeof value !== "string" || value.trim() === "" || !Number.isInteger(n) || n < min || n > max)) {
    throw new Error(`--${flag} must be an integer from ${min} to ${max}, got '${String(value)}'`);
  }
  return n;
}

/** An integer flag that must be one of `allowed`; the error says why and lists them. */
export function integerOneOf(flag: string, value: string | boolean | undefined, fallback: number, allowed: readonly number[], why: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !allowed.includes(n)) {
    throw new Error(`--${flag} must be ${why}: one of ${allowed.join(", ")}; got '${String(value)}'`);
  }
  return n;
}
