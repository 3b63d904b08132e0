// The machine a bench ran on, as the report quotes it: the browser and the GPU adapter as the
// page sees them, and the host's processor and cores.
import { availableParallelism, cpus, platform, release } from "node:os";
import type { Browser, Page } from "playwright-core";

export interface MachineInfo {
  readonly browser: string;
  /** navigator.gpu's adapter in the page (vendor / architecture / device / description), or why there is none. */
  readonly gpuAdapter: string;
  readonly crossOriginIsolated: boolean;
  /** navigator.hardwareConcurrency in the page. */
  readonly pageCores: number;
  readonly cpu: string;
  readonly cores: number;
  readonly os: string;
  readonly node: string;
}

export async function describeMachine(browser: Browser, page: Page): Promise<MachineInfo> {
  const seen = await page.evaluate(async () => {
    let gpuAdapter = "none: this browser has no navigator.gpu";
    if ("gpu" in navigator) {
      const adapter = await navigator.gpu.requestAdapter();
      const info = adapter?.info;
      gpuAdapter = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" / ") || "(the adapter reports no details)" : "none: requestAdapter() gave no adapter";
    }
    return { gpuAdapter, crossOriginIsolated: self.crossOriginIsolated, pageCores: navigator.hardwareConcurrency };
  });
  return {
    browser: `Chromium ${browser.version()} (headless)`,
    ...seen,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    os: `${platform()} ${release()}`,
    node: process.versions.node,
  };
}
