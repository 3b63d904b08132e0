/**
 * One line of a JSONL file, parsed. JSON has no NaN or Infinity, so a line holding one is not
 * valid JSON, and JSON.parse's complaint ("Unexpected token 'N'") names neither the field nor
 * the element. Such a line is parsed once more with each bare NaN / Infinity / -Infinity
 * marked, so the error can say which field and element holds the non-finite value.
 */
export type JsonLine =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

/** A bare NaN or Infinity where JSON expects a value: after '[', ',' or ':' and before ',', ']' or '}'. */
const NON_FINITE_LITERAL = /([[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;
/** What a marked literal parses to; a NUL cannot occur in a JSON string unescaped, so no real text looks like it. */
const MARK = "\u0000non-finite:";
/** The mark as JSON source text: the escape, since a raw control character is not valid JSON. */
const MARK_SOURCE = "\\u0000non-finite:";

export function parseJsonLine(source: string): JsonLine {
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch (error) {
    const reason = `not valid JSON (${error instanceof Error ? error.message : String(error)})`;
    let marked: unknown;
    try {
      marked = JSON.parse(source.replace(NON_FINITE_LITERAL, `$1"${MARK_SOURCE}$2"`));
    } catch {
      return { ok: false, reason };
    }
    const found = firstMark(marked, "");
    // A line that parses only with the marks holds a non-finite literal; anything else is plain bad JSON.
    return found
      ? { ok: false, reason: `field "${found.path}" is ${found.literal}, which is not a finite number (JSON has no NaN or Infinity)` }
      : { ok: false, reason };
  }
}

/** The first marked literal in document order and where it is (`input[1][0]`, `label`). */
function firstMark(value: unknown, path: string): { path: string; literal: string } | undefined {
  if (typeof value === "string") return value.startsWith(MARK) ? { path, literal: value.slice(MARK.length) } : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstMark(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = firstMark(child, path === "" ? key : `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Why a number parsed from JSON is not finite: JSON.parse turns a literal beyond the float64
 * range (1e999) into Infinity, which would otherwise be reported as the `null` JSON.stringify
 * makes of it.
 */
export function nonFiniteReason(value: number): string {
  return `is ${value}, which is not a finite number (a literal beyond ±1.8e308, such as 1e999, overflows to Infinity)`;
}
