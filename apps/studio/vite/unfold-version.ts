// Unfold's version in the page: Vite's `define` replaces UNFOLD_VERSION_GLOBAL with @unfold/core's
// package.json version at build time. The trainer's ONNX export reads that same file at run time
// (@unfold/backend-onnx/node's unfoldVersion()), so the page's models and the trainer's carry the
// same `unfold.version` with no second copy of the number to keep in sync: a release that bumps
// the package's version changes both at the next build.
import { createRequire } from "node:module";

/** The identifier the page reads (src/train/unfold-version.ts declares it). */
export const UNFOLD_VERSION_GLOBAL = "__UNFOLD_VERSION__";

/** The `define` entry: the identifier -> @unfold/core's version as a string literal. */
export function unfoldVersionDefine(): Record<string, string> {
  // Resolved from apps/studio, as the page's own @unfold/core import is.
  const { version } = createRequire(import.meta.url)("@unfold/core/package.json") as { version: unknown };
  return versionDefine(version);
}

/** The `define` entry for `version` (the "version" field of @unfold/core's package.json); throws for one that is not a version string. */
export function versionDefine(version: unknown): Record<string, string> {
  if (typeof version !== "string" || version === "") throw new Error(`@unfold/core/package.json: its "version" is ${JSON.stringify(version) ?? String(version)}, not a version string`);
  return { [UNFOLD_VERSION_GLOBAL]: JSON.stringify(version) };
}
