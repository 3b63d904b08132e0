// The built studio as the browser tests use it: built once per test run (global-build.ts),
// served on localhost (a secure context: navigator.gpu needs one), and a headless
// Chromium with WebGPU exposed; close() stops the server and the browser (the build stays for
// the run's other files).
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
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
