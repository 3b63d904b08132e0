import { type DType, type Energy, type Shape, describeValue } from "@unfold/core";
import { transform } from "sucrase";
import { type EnergyDiagnostic, positionAt } from "./diagnostic.js";
import { EngineSyntaxError, SOURCE_URL, evaluateModule, type ModuleExports } from "./evaluate.js";
import { type ModuleTable, unknownImportMessage, unknownImports } from "./imports.js";
import { type CodeMap, errorDiagnostic, withDeepStacks } from "./locate-error.js";
import { SourceMapping } from "./source-map.js";
import { traceEnergyChecked } from "./trial-trace.js";
import { UNFOLD_MODULES } from "./unfold-modules.js";

/** How to compile an energy's source. */
export interface CompileOptions {
  /** The modules the source may import, by specifier (default: @unfold/core and @unfold/energies). */
  readonly modules?: ModuleTable;
  /**
   * A state shape to trace the energy at once it is made (its terms and its gradient), so that
   * a mistake inside a term (a shape mismatch, say) shows at its line before any run.
   */
  readonly exampleShape?: Shape;
  /** The dtype of the trial trace (default float64). */
  readonly dtype?: DType;
}

/** The outcome of compiling: the energy, or what is wrong and where. */
export type CompileResult =
  | { readonly ok: true; readonly energy: Energy; readonly codeMap: CodeMap }
  | { readonly ok: false; readonly diagnostics: readonly EnergyDiagnostic[] };

/** The export names an energy is looked for under, in order. */
const ENERGY_EXPORTS = ["default", "energy"] as const;

/**
 * Compiles the TypeScript source of an energy, written with defineEnergy as in Node: transpiles
 * it with sucrase (types erased, imports made CommonJS, lines kept), evaluates it with `require`
 * answering from `options.modules` only, and takes the Energy it exports as default or as
 * `energy`. Every failure is a diagnostic at its line and column in `source`. The returned
 * `codeMap` reports a later error of this energy's code (raised while tracing it) in the source.
 */
export function compileEnergySource(source: string, options: CompileOptions = {}): CompileResult {
  const modules = options.modules ?? UNFOLD_MODULES;
  const imports = unknownImports(source, modules);
  if (imports.length > 0) return { ok: false, diagnostics: imports };

  let code: string;
  let mapping: SourceMapping;
  try {
    const output = transform(source, { transforms: ["typescript", "imports"], filePath: SOURCE_URL, sourceMapOptions: { compiledFilename: SOURCE_URL } });
    code = output.code;
    mapping = new SourceMapping(output.sourceMap?.mappings ?? "");
  } catch (error) {
    return { ok: false, diagnostics: [syntaxDiagnostic(source, error)] };
  }
  const codeMap: CodeMap = { position: (position) => mapping.original(position), message: namespacesRemover(Object.keys(modules)) };

  let exported: ModuleExports;
  try {
    exported = withDeepStacks(() =>
      evaluateModule(code, (specifier) => {
        // The scan above found every static import; this refuses one it could not see (a computed require).
        if (!Object.hasOwn(modules, specifier)) throw new ImportRefused(unknownImportMessage(String(specifier), Object.keys(modules)));
        return modules[specifier];
      }),
    );
  } catch (error) {
    const kind = error instanceof ImportRefused ? "import" : error instanceof EngineSyntaxError ? "syntax" : undefined;
    return { ok: false, diagnostics: [errorDiagnostic(error, codeMap, kind)] };
  }

  const found = exportedEnergy(source, exported);
  if (!found.ok) return found;
  if (options.exampleShape) {
    const traced = traceEnergyChecked(found.energy, options.exampleShape, { codeMap, dtype: options.dtype });
    if (!traced.ok) return traced;
  }
  return { ok: true, energy: found.energy, codeMap };
}

/**
 * Removes from a message the names sucrase gives imported modules: `import { ops } from
 * "@unfold/core"` becomes `var _core = require(...)` and `ops.sum` becomes `_core.ops.sum`, so a
 * TypeError would otherwise quote code the user never wrote. The names are the specifier's last
 * segment with a leading underscore, numbered when two clash (`_core2`).
 */
function namespacesRemover(specifiers: readonly string[]): (text: string) => string {
  const names = specifiers.map((s) => (s.split("/").at(-1) ?? s).replace(/[^\w$]/g, "_")).filter((n) => n !== "").map((n) => n.replace(/\$/g, "\\$"));
  if (names.length === 0) return (text) => text;
  const pattern = new RegExp(`(?<![\\w$.])_(?:${names.join("|")})\\d*\\.(?=[\\w$])`, "g");
  return (text) => text.replace(pattern, "");
}

/** An import the evaluated code asked for and the page does not provide. */
class ImportRefused extends Error {
  override name = "ImportRefused";
}

/** Sucrase's syntax error ("Error transforming energy.ts: Unexpected token (7:12)") at its position in the source, the file and position cut from the message. */
function syntaxDiagnostic(source: string, error: unknown): EnergyDiagnostic {
  const pos = (error as { pos?: unknown } | undefined)?.pos;
  const message = error instanceof Error ? error.message.replace(/^Error transforming \S+: /, "").replace(/\s*\(\d+:\d+\)$/, "") : String(error);
  const at = typeof pos === "number" ? positionAt(source, pos) : { line: 1, column: 1 };
  return { ...at, kind: "syntax", message };
}

/** Whether a value has the shape of an energy made by defineEnergy. */
function isEnergy(value: unknown): value is Energy {
  const e = value as Partial<Energy> | null | undefined;
  return typeof value === "object" && value !== null && typeof e!.name === "string" && Array.isArray(e!.terms) && typeof e!.params === "object" && e!.params !== null;
}

/** The energy the source exports as default or `energy`; a diagnostic saying what was found otherwise. */
function exportedEnergy(source: string, exported: ModuleExports): { ok: true; energy: Energy } | { ok: false; diagnostics: EnergyDiagnostic[] } {
  for (const name of ENERGY_EXPORTS) {
    if (!Object.hasOwn(exported, name)) continue;
    const value = exported[name];
    if (isEnergy(value)) return { ok: true, energy: value };
    const what = name === "default" ? "the default export" : `the export 'energy'`;
    return { ok: false, diagnostics: [{ ...exportPosition(source, name), kind: "export", message: `${what} is ${describeValue(value)}, not an energy made with defineEnergy` }] };
  }
  const names = Object.keys(exported).filter((n) => n !== "__esModule");
  const listed = names.length === 0 ? "it exports nothing" : `it exports ${names.map((n) => `'${n}'`).join(", ")}`;
  return {
    ok: false,
    diagnostics: [{ line: lastLine(source), column: 1, kind: "export", message: `the source must export its energy: 'export default defineEnergy(...)' or 'export const energy = ...' (${listed})` }],
  };
}

/** Where the export of `name` is written (its `export` keyword), else the end of the source. */
function exportPosition(source: string, name: "default" | "energy"): { line: number; column: number } {
  const pattern = name === "default" ? /\bexport\s+default\b/ : /\bexport\s+(?:const|let|var|function)\s+energy\b|\bexport\s*\{[^}]*\benergy\b[^}]*\}/;
  const match = pattern.exec(source);
  return match ? positionAt(source, match.index) : { line: lastLine(source), column: 1 };
}

/** The last line with text on it (where a missing export belongs). */
function lastLine(source: string): number {
  return source.trimEnd().split("\n").length;
}
