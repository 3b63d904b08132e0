import { builtinModules } from "node:module";
import type { Metafile } from "esbuild";

const BUILTINS = new Set(builtinModules);

/** The package a bare import names ("@scope/name/sub" -> "@scope/name", "name/sub" -> "name"); undefined for node: builtins. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The packages a bundle imports at run time (its external imports), Node's builtins left out, sorted. */
export function externalPackages(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external) continue;
      const name = packageNameOf(imported.path);
      if (name !== undefined && !BUILTINS.has(name)) names.add(name);
    }
  }
  return [...names].sort();
}
