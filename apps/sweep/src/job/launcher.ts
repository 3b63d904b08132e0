import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * How a job starts `unfold`: an executable and the arguments before the command's own. The
 * runner only ever starts commands this way, as child processes; it never loads the trainer or
 * the other apps into its own process.
 */
export interface Launcher {
  readonly executable: string;
  readonly args: readonly string[];
  /** For messages: what runs ("node .../unfold.js"). */
  readonly describe: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The built CLI: in the `unfold` bundle this module sits in dist/bin beside unfold.js. */
const BUNDLED_ENTRY = join(here, "unfold.js");
/** In the repository (sources run through tsx): the CLI's source entry point. */
const SOURCE_ENTRY = resolve(here, "../../../../packages/commands/src/bin/unfold.ts");
/** In the repository after `pnpm build`: the CLI's built entry point. */
const BUILT_ENTRY = resolve(here, "../../../../packages/commands/dist/bin/unfold.js");

/** `node <the built unfold.js>` for the given entry point. */
export function nodeLauncher(entry: string): Launcher {
  return { executable: process.execPath, args: [entry], describe: `node ${entry}` };
}

/**
 * `unfold` from its TypeScript sources through tsx, as the tests and `pnpm sweep` from sources
 * run it (no build needed). tsx is found from the CLI package, which has it as a dev dependency.
 */
export function sourceLauncher(entry: string = SOURCE_ENTRY): Launcher {
  if (!existsSync(entry)) throw new Error(`cannot start unfold from its sources: ${entry} does not exist`);
  const tsx = createRequire(entry).resolve("tsx");
  return { executable: process.execPath, args: ["--conditions=@unfold/source", "--import", tsx, entry], describe: `node (tsx) ${entry}` };
}

/** Whether this module runs from its TypeScript source (through tsx or vitest) rather than a build. */
const fromSource = import.meta.url.endsWith(".ts");

/**
 * The launcher a sweep uses by default: the `unfold` bundle it is part of; running from the
 * repository's sources, the CLI's sources too (a stale build would run other code than the
 * sweep's own); from this app's own build, the CLI's build.
 */
export function defaultLauncher(): Launcher {
  if (existsSync(BUNDLED_ENTRY)) return nodeLauncher(BUNDLED_ENTRY);
  if (fromSource && existsSync(SOURCE_ENTRY)) return sourceLauncher(SOURCE_ENTRY);
  if (existsSync(BUILT_ENTRY)) return nodeLauncher(BUILT_ENTRY);
  throw new Error(`cannot find the unfold CLI to start jobs with (looked for ${BUNDLED_ENTRY} and ${BUILT_ENTRY}): run pnpm build first`);
}
