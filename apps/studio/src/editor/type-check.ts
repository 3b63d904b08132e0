import type * as TypeScript from "typescript";
import type { EnergyDiagnostic } from "./diagnostic.js";

/**
 * What the checker compiles against, as paths in a virtual file system: the TypeScript
 * standard library files (under /lib) and the sources of the modules an energy may import,
 * with `entries` naming the file each module specifier opens.
 */
export interface TypeFiles {
  readonly files: ReadonlyMap<string, string>;
  readonly entries: Readonly<Record<string, string>>;
}

/** The TypeScript compiler API. */
export type TypeScriptApi = typeof TypeScript;

/** The path the user's source has in the checker's file system. */
const USER_FILE = "/energy.ts";
/** Globals a page and Node both have that the ES library does not declare (console), so that using them is not an error. */
const GLOBALS_FILE = "/globals.d.ts";
const GLOBALS = "declare var console: { log(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };\n";

/** Checks an energy's source with TypeScript: its type errors, each at its line and column. */
export type TypeChecker = (source: string) => EnergyDiagnostic[];

/**
 * A TypeScript checker for energy sources, as strict as the repository's own code, over `files`
 * only (nothing is read from disk or network). Each call builds a program reusing the previous
 * one's parsed library and module files, and asks for the diagnostics of the user's file alone,
 * so the Unfold sources are parsed once and never themselves reported on.
 */
export function createTypeChecker(ts: TypeScriptApi, typeFiles: TypeFiles): TypeChecker {
  const options: TypeScript.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    paths: Object.fromEntries(Object.entries(typeFiles.entries).map(([specifier, file]) => [specifier, [file]])),
  };
  const cached = new Map<string, TypeScript.SourceFile>();
  let userSource = "";
  let previous: TypeScript.Program | undefined;

  const read = (name: string): string | undefined => (name === USER_FILE ? userSource : name === GLOBALS_FILE ? GLOBALS : typeFiles.files.get(name));
  const host: TypeScript.CompilerHost = {
    getSourceFile(name, languageVersion) {
      if (name === USER_FILE) return ts.createSourceFile(name, userSource, languageVersion, true);
      const hit = cached.get(name);
      if (hit) return hit;
      const text = read(name);
      if (text === undefined) return undefined;
      const file = ts.createSourceFile(name, text, languageVersion, true);
      cached.set(name, file);
      return file;
    },
    getDefaultLibFileName: () => "/lib/lib.es2022.d.ts",
    getDefaultLibLocation: () => "/lib",
    writeFile: () => undefined,
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (name) => read(name) !== undefined,
    readFile: read,
    directoryExists: (dir) => {
      const prefix = dir.endsWith("/") ? dir : `${dir}/`;
      return prefix === "/" || [...typeFiles.files.keys()].some((f) => f.startsWith(prefix));
    },
  };

  return (source) => {
    userSource = source;
    const program = ts.createProgram({ rootNames: [USER_FILE, GLOBALS_FILE], options, host, ...(previous ? { oldProgram: previous } : {}) });
    previous = program;
    const file = program.getSourceFile(USER_FILE)!;
    return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => {
      const { line, character } = file.getLineAndCharacterOfPosition(d.start ?? 0);
      return { line: line + 1, column: character + 1, kind: "type" as const, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
    });
  };
}
