import { type CompileOptions, type CompileResult, compileEnergySource } from "./compile-energy.js";
import { type JsonValue, type Share, ShareError, decodeShare } from "./share.js";
import { type DescentSettings, checkDescentSettings } from "../descent-settings.js";

/** The descent settings a link may carry (each optional: a link made before some existed lacks them). */
export type SharedDescentSettings = Partial<DescentSettings>;

/** The settings a link may carry, in the order the page applies them. */
export const SHARED_SETTINGS = ["layers", "stepSize", "damping", "tied"] as const;

/**
 * The descent settings of a link's `settings`, each checked as the sliders' own are; a setting
 * this page does not know, or a value it would not run, is a ShareError naming it (a link with
 * a setting the page dropped would open as another run than was shared).
 */
export function sharedDescentSettings(settings: { readonly [key: string]: JsonValue }): SharedDescentSettings {
  const unknown = Object.keys(settings).filter((key) => !(SHARED_SETTINGS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new ShareError(`setting ${unknown.map((k) => `'${k}'`).join(", ")} is not one this page reads (it reads ${SHARED_SETTINGS.map((k) => `'${k}'`).join(", ")})`);
  }
  const shared = settings as SharedDescentSettings;
  try {
    // layers 1 stands in for a link without a layer count: only the settings it has are checked.
    checkDescentSettings({ ...shared, layers: shared.layers ?? 1 });
  } catch (error) {
    throw new ShareError(`setting ${(error as Error).message}`);
  }
  return shared;
}

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
      /** The settings read as the descent's (sharedDescentSettings). */
      readonly descent: SharedDescentSettings;
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
  let descent: SharedDescentSettings;
  try {
    share = await decodeShare(hash);
    descent = sharedDescentSettings(share.settings);
  } catch (error) {
    return { status: "invalid", error: error instanceof Error ? error.message : String(error) };
  }
  const { source, settings } = share;
  return { status: "pending", source, settings, descent, question: RUN_SHARED_QUESTION, run: (options) => compileEnergySource(source, options) };
}
