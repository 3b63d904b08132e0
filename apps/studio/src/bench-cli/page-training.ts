// In-page training, measured through the training view's own controls and report
// (window.__studioTraining, src/train/view.ts): the Backend menu set, Train pressed, Pause
// pressed once the warm-up and the timed steps are done. The view reports steps per second over
// all its steps so far (compiling excluded), so points / stepsPerSecond is its training time up
// to its last step: two such readings, after the warm-up and at the end, time the steps between.
import type { Page } from "playwright-core";
import type { TrainingApi } from "../train/report.js";
import type { BenchBackend } from "./options.js";
import { PAGE_WAIT_MS, settleDescent } from "./studio-page.js";

export interface PageTraining {
  readonly backend: BenchBackend;
  readonly engine: string;
  /** Steps timed: those between the two readings (at least the steps asked for). */
  readonly steps: number;
  readonly stepsPerSecond: number;
  /** The mean loss of the first and of the last ten steps the view ran (a sanity check: it trains). */
  readonly firstLoss: number;
  readonly lastLoss: number;
}

/** A reading of the view: steps done and the training time they took, from one step's update. */
interface Reading {
  readonly steps: number;
  readonly seconds: number;
}

const report = (page: Page): Promise<TrainingApi> => page.evaluate(() => JSON.parse(JSON.stringify(window.__studioTraining)) as TrainingApi);
const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** Waits for `steps` steps of run number `run` (or an error) and reads the view at once. */
async function readingAt(page: Page, run: number, steps: number): Promise<Reading> {
  const handle = await page.waitForFunction(
    ([n, r]) => {
      const t = window.__studioTraining!;
      if (t.state === "error") return { error: t.error ?? "(no message)" };
      // Both figures change together, in the same task, after each step.
      if (t.runs === r && t.points.length >= n && t.stepsPerSecond !== undefined) return { steps: t.points.length, stepsPerSecond: t.stepsPerSecond };
      return false;
    },
    [steps, run] as const,
    { timeout: PAGE_WAIT_MS },
  );
  const seen = (await handle.jsonValue()) as { error: string } | { steps: number; stepsPerSecond: number };
  if ("error" in seen) throw new Error(seen.error);
  return { steps: seen.steps, seconds: seen.steps / seen.stepsPerSecond };
}

export async function trainInPage(page: Page, backend: BenchBackend, warmup: number, steps: number): Promise<PageTraining> {
  await page.selectOption("#backend", backend);
  // The page reruns its descent on the new backend: let it finish before training starts.
  await settleDescent(page);
  const run = (await report(page)).runs + 1;
  try {
    await page.click("#train-start");
    const warm = await readingAt(page, run, warmup);
    const end = await readingAt(page, run, warm.steps + steps);
    await page.click("#train-pause");
    await page.waitForFunction(() => ["paused", "done", "error"].includes(window.__studioTraining!.state), undefined, { timeout: PAGE_WAIT_MS });
    const done = await report(page);
    if (done.state === "error") throw new Error(done.error ?? "(no message)");
    const losses = done.points.map((p) => p.loss);
    return {
      backend,
      engine: done.engine!,
      steps: end.steps - warm.steps,
      stepsPerSecond: (end.steps - warm.steps) / (end.seconds - warm.seconds),
      firstLoss: mean(losses.slice(0, 10)),
      lastLoss: mean(losses.slice(-10)),
    };
  } catch (error) {
    throw new Error(`training in the page on ${backend}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The thread count of the page's CPU backend or onnxruntime, from the engine it reports ("WebAssembly SIMD, 1 thread"). */
export function pageThreads(engine: string): number {
  const match = /(\d+) threads?\b/.exec(engine);
  if (!match) throw new Error(`the page's engine '${engine}' does not say how many threads it runs`);
  return Number(match[1]);
}
