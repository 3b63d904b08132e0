// The built studio as the browser tests use it: built once per test run (global-build.ts),
// served on localhost (a secure context: navigator.gpu needs one), and a headless
// Chromium with WebGPU exposed; close() stops the server and the browser (the build stays for
// the run's other files).
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdir } from "node:fs/promises";
import { type Browser, type Page, chromium } from "playwright-core";
import { inject } from "vitest";
import { CHROMIUM, WEBGPU_FLAGS } from "./chromium.js";
import { serveFolder } from "./serve.js";

/** apps/studio. */
export const STUDIO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the screenshots go: $UNFOLD_ARTIFACTS/studio in CI, else apps/studio/test-results (gitignored). */
export const SHOTS = process.env["UNFOLD_ARTIFACTS"] ? join(process.env["UNFOLD_ARTIFACTS"], "studio") : join(STUDIO_ROOT, "test-results");

export interface StudioApp {
  /** The built app's folder (shared by the run's test files: read it, never write into it). */
  readonly outDir: string;
  /** The page's address, ending in "/". */
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/** Serves the run's build of the app (global-build.ts) and starts Chromium. */
export async function startStudioApp(): Promise<StudioApp> {
  const outDir = inject("studioBuild");
  const server = await serveFolder(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_FLAGS });
  return {
    outDir,
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    browser,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** How a test opens the app in a page of its own. */
export interface StudioPageOptions {
  readonly viewport: { readonly width: number; readonly height: number };
  /** A JavaScript expression the page must make true before the test goes on, e.g. "window.__studio?.ready === true". */
  readonly ready: string;
  /** Where the page's uncaught errors go (the tests assert there are none). */
  readonly errors: string[];
  readonly acceptDownloads?: boolean;
  /** The address to open; the app's own by default (a test adds a share link's fragment). */
  readonly url?: string;
  /** How long `ready` may take, in ms. */
  readonly timeout?: number;
}

/**
 * Opens the app in a new page and waits until `ready` holds; creates the screenshot folder too,
 * since every browser test saves some.
 */
export async function openStudioPage(app: StudioApp, options: StudioPageOptions): Promise<Page> {
  const page = await app.browser.newPage({ viewport: options.viewport, ...(options.acceptDownloads ? { acceptDownloads: true } : {}) });
  page.on("pageerror", (e) => options.errors.push(e.message));
  await page.goto(options.url ?? app.url);
  await page.waitForFunction(options.ready, undefined, { timeout: options.timeout ?? 60_000 });
  await mkdir(SHOTS, { recursive: true });
  return page;
}
