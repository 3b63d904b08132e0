import { type CompileOptions, type CompileResult, compileEnergySource } from "./compile-energy.js";
import { type JsonValue, type Share, decodeShare } from "./share.js";

/**
 * What the page's URL fragment holds, as the page shows it on load:
 * - "none": no fragment;
 * - "invalid": a fragment that is not a share this page reads, with why (shown, nothing run);
 * - "pending": a shared energy, shown as code and NOT run: a link is someone else's code, so
 *   the page asks first, and only `run()` (called when the user says yes) evaluates it.
 */
export type SharedEnergyState =
  | { readonly status: "none" }
  | { readonly status: "invalid"; readonly error: string }
  | {
      readonly status: "pending";
      readonly source: string;
      readonly settings: { readonly [key: string]: JsonValue };
      /** The question to put to the user before running. */
      readonly question: string;
      /** Compiles (and so evaluates) the shared source: call it only once the user has agreed. */
      run(options?: CompileOptions): CompileResult;
    };

/** The question a shared energy waits on. */
export const RUN_SHARED_QUESTION = "This link carries the source of an energy, which runs as code in this page. Read it first; run it?";

/**
 * Reads a shared energy from `hash` (location.hash of this page: the fragment never leaves the
 * browser, and nothing is fetched) into a state that runs nothing by itself.
 */
export async function sharedEnergyState(hash: string): Promise<SharedEnergyState> {
  if (hash === "" || hash === "#") return { status: "none" };
  let share: Share;
  try {
    share = await decodeShare(hash);
  } catch (error) {
    return { status: "invalid", error: error instanceof Error ? error.message : String(error) };
  }
  const { source, settings } = share;
  return { status: "pending", source, settings, question: RUN_SHARED_QUESTION, run: (options) => compileEnergySource(source, options) };
}
