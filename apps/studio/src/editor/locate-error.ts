import { UnfoldError } from "@unfold/core";
import type { DiagnosticKind, EnergyDiagnostic, SourcePosition } from "./diagnostic.js";
import { locateInCode } from "./evaluate.js";

/** How the transpiled code relates to the user's source, for reporting its errors in the source's terms. */
export interface CodeMap {
  /** The place in the source of a 1-based position in the transpiled code. */
  position(position: SourcePosition): SourcePosition;
  /** An error message with the transpiled code's names put back ("_core.ops.summ" becomes "ops.summ"). */
  message(text: string): string;
}

/**
 * A diagnostic for an error raised by the user's code: at the innermost frame of that code in
 * the error's stack, mapped to the source; "unfold" for Unfold's own errors (a misused
 * defineEnergy, a shape mismatch while tracing), "runtime" for the rest (a TypeError...), unless
 * `kind` says otherwise. An error with no frame of the user's code (thrown by a library function
 * the energy hands its work to, or a SyntaxError the engine raised) is put on line 1 and says so.
 */
export function errorDiagnostic(error: unknown, map: CodeMap, kind?: DiagnosticKind): EnergyDiagnostic {
  const message = map.message(describeError(error, kind));
  const resolvedKind = kind ?? (error instanceof UnfoldError ? "unfold" : "runtime");
  const inCode = locateInCode(error);
  if (!inCode) {
    // A SyntaxError from evaluation is one sucrase's parser let through (a name declared twice, say): engines give no position for it.
    const why = resolvedKind === "syntax" ? "the JavaScript engine gives no line for this error" : "raised outside this source's code, so no line of it can be marked";
    return { line: 1, column: 1, kind: resolvedKind, message: `${message} (${why})` };
  }
  return { ...map.position(inCode), kind: resolvedKind, message };
}

/**
 * An error's message, with its class when that says more than "Error" ("TypeError: x is not a
 * function"); the page's own refusals (an import) are plain messages.
 */
function describeError(error: unknown, kind: DiagnosticKind | undefined): string {
  if (!(error instanceof Error)) return `threw ${typeof error === "string" ? `'${error}'` : String(error)}`;
  return error.name === "Error" || error instanceof UnfoldError || kind === "import" ? error.message : `${error.name}: ${error.message}`;
}

/**
 * Runs `fn` with room for deep stacks: V8 keeps 10 frames by default, and an error raised deep
 * inside Unfold's tracing can have the user's frame further down than that.
 */
export function withDeepStacks<T>(fn: () => T): T {
  const limited = Error as { stackTraceLimit?: number };
  const before = limited.stackTraceLimit;
  limited.stackTraceLimit = Math.max(before ?? 0, 100);
  try {
    return fn();
  } finally {
    limited.stackTraceLimit = before;
  }
}
