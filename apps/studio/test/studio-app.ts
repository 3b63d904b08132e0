// The built studio as the browser tests use it: built once per test file into a temporary
// folder, served on localhost (a secure context: navigator.gpu needs one), and a headless
// Chromium with WebGPU exposed; close() stops all three and removes the folder.
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";
import { CHROMIUM, WEBGPU_FLAGS } from "./chromium.js";
import { serveFolder } from "./serve.js";

/** apps/studio. */
export const STUDIO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the screenshots go: $UNFOLD_ARTIFACTS/studio in CI, else apps/studio/test-results (gitignored). */
export const SHOTS = process.env["UNFOLD_ARTIFACTS"] ? join(process.env["UNFOLD_ARTIFACTS"], "studio") : join(STUDIO_ROOT, "test-results");

export interface StudioApp {
  /** The built app's folder. */
  readonly outDir: string;
  /** The page's address, ending in "/". */
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/** Builds the app with its own Vite config into a fresh folder named from `prefix`, serves it, and starts Chromium. */
export async function startStudioApp(prefix: string): Promise<StudioApp> {
  const outDir = await mkdtemp(join(tmpdir(), prefix));
  await build({ root: STUDIO_ROOT, configFile: join(STUDIO_ROOT, "vite.config.ts"), logLevel: "error", build: { outDir } });
  const server = await serveFolder(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_FLAGS });
  return {
    outDir,
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    browser,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
