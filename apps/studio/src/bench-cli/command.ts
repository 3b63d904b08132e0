// `pnpm studio bench`: the studio's speed figures, measured in headless Chromium against the
// issue's targets, with the Node trainer on the same run as the peer of in-page training.
import type { CommandIO } from "@unfold/cli";
import { writeFileAtomic, writingTo } from "@unfold/files";
import { type BenchResult, type TrainingComparison, collectFigures, formatResult } from "./figures.js";
import { type LiveFigures, measureLiveDescent } from "./live.js";
import { describeMachine } from "./machine.js";
import { trainInChildProcess } from "./node-child.js";
import { trainInNode } from "./node-training.js";
import { USAGE, parseBenchOptions } from "./options.js";
import { type PageTraining, pageThreads, trainInPage } from "./page-training.js";
import { openStudio } from "./studio-page.js";

/**
 * The page's training run in Node: on the backend as `pnpm train` creates it, and, on the CPU
 * backend and on onnxruntime, also with the page's thread count where the trainer's differs.
 * onnxruntime runs in a child process per run (its thread count is fixed once per process); the
 * other backends in this one.
 */
async function nodePeers(page: PageTraining, warmup: number, steps: number, progress: (message: string) => void): Promise<TrainingComparison> {
  const train = page.backend === "onnx" ? trainInChildProcess : trainInNode;
  const what = `${warmup} + ${steps} steps in Node on ${page.backend}`;
  progress(`[studio bench] training ${what}, as \`pnpm train\` runs it`);
  const trainer = await train(page.backend, warmup, steps);
  const threads = page.backend === "cpu" || page.backend === "onnx" ? pageThreads(page.engine) : undefined;
  if (threads === undefined || threads === trainer.threads) return { page, trainer };
  progress(`[studio bench] training ${what}, ${threads} thread(s) as the page`);
  return { page, trainer, pageThreads: await train(page.backend, warmup, steps, threads) };
}

export async function studioBenchCommand(args: string[], io: CommandIO): Promise<BenchResult | undefined> {
  const options = parseBenchOptions(args);
  if (options.help) {
    io.out(USAGE);
    return undefined;
  }
  const started = performance.now();
  const progress = (message: string): void => io.progress(message);
  const studio = await openStudio(options.dist, progress);
  let result: BenchResult;
  try {
    const machine = await describeMachine(studio.browser, studio.page);
    const live: LiveFigures[] = [];
    for (const backend of options.liveBackends) live.push(await measureLiveDescent(studio.page, backend, options.frames, options.runs, progress));
    // Every page run first, then the page left for a blank one (its worker threads end), then
    // the Node runs: neither side shares the cores with the other while it is timed.
    const pageRuns: PageTraining[] = [];
    const untrained = options.backends.filter((b) => !options.trainBackends.includes(b));
    if (untrained.length > 0) progress(`[studio bench] --quick: training is not timed on ${untrained.join(", ")} (leave --quick out to time it)`);
    for (const backend of options.trainBackends) {
      progress(`[studio bench] training ${options.warmup} + ${options.steps} steps in the page on ${backend}`);
      pageRuns.push(await trainInPage(studio.page, backend, options.warmup, options.steps));
    }
    if (studio.pageErrors.length > 0) throw new Error(`the page threw during the bench: ${studio.pageErrors.join("; ")}`);
    await studio.page.goto("about:blank");
    const training: TrainingComparison[] = [];
    for (const page of pageRuns) training.push(await nodePeers(page, options.warmup, options.steps, progress));
    result = { machine, figures: collectFigures(live, training), live, training, elapsedSeconds: (performance.now() - started) / 1000 };
  } finally {
    await studio.close();
  }
  const json = JSON.stringify(result);
  if (options.out !== undefined) {
    const out = options.out;
    await writingTo("--out", out, () => writeFileAtomic(out, `${json}\n`));
    progress(`[studio bench] wrote ${out}`);
  }
  for (const line of formatResult(result, options.frames, options.runs, options.warmup)) io.out(line);
  if (options.json) io.out(json);
  return result;
}
