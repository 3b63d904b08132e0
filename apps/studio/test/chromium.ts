import { existsSync } from "node:fs";

/** Debian's package; UNFOLD_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env["UNFOLD_CHROMIUM"] ?? "/usr/bin/chromium";

export const INSTALL_HINT = "install it with `sudo bash scripts/install-browser.sh` (Debian's chromium) or point UNFOLD_CHROMIUM at a Chromium binary";

/**
 * Whether the browser test can run. In CI a missing browser is a failure (the test must run
 * there); on a developer machine the test skips with one line saying how to get one.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env["CI"]) throw new Error(`no Chromium at ${CHROMIUM} in CI: ${INSTALL_HINT}`);
  console.warn(`studio: browser test skipped, no Chromium at ${CHROMIUM}; ${INSTALL_HINT}`);
  return false;
}

/** Flags that expose WebGPU in headless Chromium on Linux (SwiftShader's Vulkan when there is no GPU). */
export const WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--no-sandbox"];
