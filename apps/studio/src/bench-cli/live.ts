// Live descent in the page, measured by the page's own probe (window.__studioBench,
// src/live-bench.ts): 64 tokens in 16-D stepped one layer per animation frame and drawn after
// each, repeated; each run opens its backend and compiles its first layer afresh.
import type { Page } from "playwright-core";
import type { LiveBenchResult } from "../live-bench.js";
import type { BenchBackend } from "./options.js";
import { PAGE_WAIT_MS } from "./studio-page.js";
import { type Spread, spread } from "./spread.js";

export interface LiveFigures {
  readonly backend: BenchBackend;
  readonly engine: string;
  readonly frames: number;
  readonly framesPerSecond: Spread;
  readonly msPerLayer: Spread;
  readonly firstLayerMs: Spread;
  readonly runs: readonly LiveBenchResult[];
}

export async function measureLiveDescent(page: Page, backend: BenchBackend, frames: number, runs: number, progress: (message: string) => void): Promise<LiveFigures> {
  page.setDefaultTimeout(PAGE_WAIT_MS);
  const results: LiveBenchResult[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await page.evaluate(([name, n]) => window.__studioBench!(name, n), [backend, frames] as const);
    progress(`[studio bench] live descent on ${backend}, run ${run}/${runs}: ${result.framesPerSecond.toFixed(1)} frames/s, ${result.msPerLayer.toFixed(2)} ms per layer`);
    results.push(result);
  }
  return {
    backend,
    engine: results[0]!.engine,
    frames,
    framesPerSecond: spread(results.map((r) => r.framesPerSecond)),
    msPerLayer: spread(results.map((r) => r.msPerLayer)),
    firstLayerMs: spread(results.map((r) => r.firstLayerMs)),
    runs: results,
  };
}
