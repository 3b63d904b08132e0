/// <reference types="vite/client" />
import { type TypeChecker, type TypeFiles, type TypeScriptApi, createTypeChecker } from "./type-check.js";

// The files the type checker reads, bundled by Vite into the type-check worker's script (which
// the editor starts on its first check, so the page never loads them itself): TypeScript's
// ES2022 library and the TypeScript sources of the two modules an energy may import (their
// sources rather than built declarations, so no build is needed first and the types are always
// those of the code that runs).
const LIBRARY = import.meta.glob("../../../../node_modules/typescript/lib/lib.{es5,es20*,decorators*}.d.ts", { query: "?raw", import: "default" });
const UNFOLD_SOURCES = import.meta.glob(["../../../../packages/core/src/**/*.ts", "../../../../packages/energies/src/**/*.ts"], { query: "?raw", import: "default" });

/** The module specifiers and the file each opens, in the checker's file system. */
const ENTRIES = { "@unfold/core": "/unfold/core/src/index.ts", "@unfold/energies": "/unfold/energies/src/index.ts" } as const;

/** A glob key ("../../../../packages/core/src/x.ts") as its path in the checker's file system ("/unfold/core/src/x.ts"). */
function virtualPath(key: string): string {
  const lib = /\/typescript\/lib\/([^/]+)$/.exec(key);
  if (lib) return `/lib/${lib[1]}`;
  return key.replace(/^(?:\.\.\/)+packages\//, "/unfold/");
}

/** Loads every file the checker reads; an error naming what is missing when a module's sources are not there. */
export async function loadTypeFiles(): Promise<TypeFiles> {
  const entries = await Promise.all(Object.entries({ ...LIBRARY, ...UNFOLD_SOURCES }).map(async ([key, load]) => [virtualPath(key), (await load()) as string] as const));
  const files = new Map(entries);
  for (const [specifier, file] of Object.entries(ENTRIES)) {
    if (!files.has(file)) throw new Error(`type checking: the sources of ${specifier} (${file}) were not bundled`);
  }
  if (!files.has("/lib/lib.es2022.d.ts")) throw new Error("type checking: TypeScript's library (lib.es2022.d.ts) was not bundled");
  return { files, entries: ENTRIES };
}

let checker: Promise<TypeChecker> | undefined;

/**
 * The type checker, loaded on first use (TypeScript itself and the files are megabytes) and
 * shared after. The studio calls it inside its type-check worker (type-check-worker.ts), never on
 * the page's thread; Node's tests call it directly.
 */
export function loadTypeChecker(): Promise<TypeChecker> {
  checker ??= Promise.all([import("typescript"), loadTypeFiles()]).then(([module, files]) => {
    // TypeScript is CommonJS: its API is the default export of the ES module a bundler makes of it.
    const api = (module as unknown as { default?: TypeScriptApi }).default ?? (module as unknown as TypeScriptApi);
    return createTypeChecker(api, files);
  });
  return checker;
}
