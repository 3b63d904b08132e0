/**
 * What went wrong in an energy's source, as the editor marks it. "type" is TypeScript's
 * checking, which runs apart from compiling (a type error does not stop a run, as in tsc).
 */
export type DiagnosticKind = "syntax" | "import" | "unfold" | "runtime" | "export" | "type";

/**
 * One mistake in the user's source. `line` and `column` are 1-based and count in the source as
 * the user wrote it (not the transpiled code), so the editor can mark the place directly.
 */
export interface EnergyDiagnostic {
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly kind: DiagnosticKind;
}

/** A position in a text, 1-based. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** The 1-based line and column of a 0-based character offset into `text`. */
export function positionAt(text: string, offset: number): SourcePosition {
  const clamped = Math.max(0, Math.min(offset, text.length));
  const before = text.slice(0, clamped);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: clamped - lineStart + 1 };
}
