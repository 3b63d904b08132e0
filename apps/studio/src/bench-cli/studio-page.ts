// The studio as the bench measures it: built (or an existing build), served on localhost by the
// browser tests' own static server, and opened in headless Chromium with the tests' flags, so
// the bench sees the page as the tests do.
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { CHROMIUM, INSTALL_HINT, WEBGPU_FLAGS } from "../../test/chromium.js";
import { serveFolder } from "../../test/serve.js";

/** apps/studio. */
const STUDIO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** A cap on the page's waits (loading, compiling on a software GPU): a hang, not a speed limit. */
export const PAGE_WAIT_MS = 300_000;

export interface OpenStudio {
  readonly browser: Browser;
  readonly page: Page;
  /** Errors the page threw (uncaught), in order. */
  readonly pageErrors: readonly string[];
  close(): Promise<void>;
}

/** Builds the app into a temporary folder (removed by close) unless `dist` names a build, serves it and opens it. */
export async function openStudio(dist: string | undefined, progress: (message: string) => void): Promise<OpenStudio> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    let folder = dist;
    if (folder === undefined) {
      const outDir = await mkdtemp(join(tmpdir(), "unfold-studio-bench-"));
      cleanups.push(() => rm(outDir, { recursive: true, force: true }));
      progress(`[studio bench] building the app into ${outDir}`);
      const { build } = await import("vite");
      await build({ root: STUDIO_ROOT, configFile: join(STUDIO_ROOT, "vite.config.ts"), logLevel: "error", build: { outDir } });
      folder = outDir;
    }
    const server = await serveFolder(folder);
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://localhost:${(server.address() as AddressInfo).port}/`;
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_FLAGS });
    } catch (error) {
      throw new Error(`cannot start Chromium at ${CHROMIUM}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}; ${INSTALL_HINT}`, { cause: error });
    }
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    progress(`[studio bench] opening ${url} in Chromium ${browser.version()}`);
    await page.goto(url);
    await page.waitForFunction(() => window.__studio?.ready === true && window.__studioTraining?.ready === true, undefined, { timeout: PAGE_WAIT_MS });
    await settleDescent(page);
    return { browser, page, pageErrors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits for the page's own descent run (at load, or after a change of backend) to finish, so it does not share the thread with a measurement. */
export async function settleDescent(page: Page): Promise<void> {
  await page.evaluate(() => window.__studio?.current?.then(() => undefined, () => undefined));
}
