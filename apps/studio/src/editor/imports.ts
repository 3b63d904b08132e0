import type { EnergyDiagnostic } from "./diagnostic.js";
import { positionAt } from "./diagnostic.js";

/** The modules an energy's source may import, by specifier: the real modules, passed in. */
export type ModuleTable = Readonly<Record<string, unknown>>;

/**
 * Every module specifier the source names in an import or export-from (`from "x"`, `import "x"`,
 * `import("x")`, `require("x")`), with the 0-based offset of its opening quote. Comments are
 * blanked first so that a commented-out import is not reported.
 */
export function importSpecifiers(source: string): { readonly specifier: string; readonly offset: number }[] {
  const code = blankComments(source);
  const found: { specifier: string; offset: number }[] = [];
  const pattern = /(\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\n]*)\2/g;
  for (let match = pattern.exec(code); match; match = pattern.exec(code)) {
    found.push({ specifier: match[3]!, offset: match.index + match[1]!.length });
  }
  return found;
}

/** The source with each comment's characters replaced by spaces (newlines kept, so offsets stay). */
function blankComments(source: string): string {
  // Strings and template literals are matched too, and kept, so a "//" inside one is not a comment.
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`/g, (text) =>
    text.startsWith("/") ? text.replace(/[^\n]/g, " ") : text,
  );
}

/** A diagnostic for each import of a module not in `modules`, at its specifier. */
export function unknownImports(source: string, modules: ModuleTable): EnergyDiagnostic[] {
  const allowed = Object.keys(modules);
  return importSpecifiers(source)
    .filter(({ specifier }) => !Object.hasOwn(modules, specifier))
    .map(({ specifier, offset }) => ({ ...positionAt(source, offset), kind: "import" as const, message: unknownImportMessage(specifier, allowed) }));
}

/** Why an import is refused: the page loads nothing from the network or another origin. */
export function unknownImportMessage(specifier: string, allowed: readonly string[]): string {
  return `cannot import '${specifier}': an energy in the studio can import only ${allowed.map((m) => `'${m}'`).join(" and ")} (nothing is loaded from the network)`;
}
