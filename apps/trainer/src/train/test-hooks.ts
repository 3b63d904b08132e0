import { basename } from "node:path";
import { MANIFEST_NAME } from "@unfold/training";
import { writeFileDurably } from "../checkpoint/durable.js";
import type { SaveOptions } from "../checkpoint/store.js";

/**
 * Test-only: the stop tests set this environment variable to "1" so that every checkpoint save
 * of the process writes its tensor files and then waits, before its manifest, until a signal ends
 * the process. That puts a second Ctrl-C inside a save on any machine, however fast; without the
 * variable (every real run) saves are untouched. Never set it outside the trainer's tests.
 */
export const HOLD_SAVE_BEFORE_MANIFEST = "UNFOLD_TEST_HOLD_SAVE_BEFORE_MANIFEST";

/** What the process prints once a save is held, for the test to wait for. */
export const HOLD_SAVE_MESSAGE = `${HOLD_SAVE_BEFORE_MANIFEST}: holding the checkpoint save before its manifest until a signal ends the process`;

/** The save options the environment asks for: none, or under the test hook a writer that holds before the manifest. */
export function saveOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): SaveOptions {
  if (env[HOLD_SAVE_BEFORE_MANIFEST] !== "1") return {};
  return {
    writeFile: async (path, bytes) => {
      if (basename(path) === MANIFEST_NAME) {
        process.stderr.write(`${HOLD_SAVE_MESSAGE}\n`);
        // Never settles; the interval keeps the event loop (and so the process) alive until the signal.
        await new Promise<never>(() => setInterval(() => undefined, 60_000));
      }
      await writeFileDurably(path, bytes);
    },
  };
}
