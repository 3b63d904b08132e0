// Unfold's version as the build wrote it into the page (vite/unfold-version.ts), for the
// `unfold.version` metadata of the models the page exports.

// Replaced by a string literal at build time; undeclared in a run that skipped the app's Vite
// config (a unit test importing this module), hence the typeof check below.
declare const __UNFOLD_VERSION__: string | undefined;

/** @unfold/core's package version at build time; throws where the page was built without the app's Vite config. */
export function pageUnfoldVersion(): string {
  if (typeof __UNFOLD_VERSION__ !== "string") {
    throw new Error("this page was built without apps/studio/vite.config.ts (its `define` of __UNFOLD_VERSION__): the exported model cannot name its Unfold version");
  }
  return __UNFOLD_VERSION__;
}
