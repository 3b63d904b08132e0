// The bench's figures against the targets: live descent at 30 frames per second or more
// on each backend, and in-page training at least half as fast as the Node trainer on the same
// backend. A target missed is a finding in the table, not a failure of the bench.
import { formatTable } from "@unfold/cli";
import type { LiveFigures } from "./live.js";
import type { MachineInfo } from "./machine.js";
import type { NodeTraining } from "./node-training.js";
import type { PageTraining } from "./page-training.js";

/** Live descent's target: frames (layers) per second. */
export const LIVE_FPS_TARGET = 30;
/** In-page training's target: its steps per second over the Node trainer's, same backend. */
export const TRAINING_RATIO_TARGET = 0.5;

export interface Figure {
  /** What was measured, e.g. "live descent" (in frames/s) or "training, page / Node trainer" (a ratio). */
  readonly name: string;
  readonly backend: string;
  readonly value: number;
  readonly unit: string;
  /** The range over repeated runs, where the figure is a median. */
  readonly min?: number;
  readonly max?: number;
  /** The least value that meets the target, where the figure has one. */
  readonly target?: number;
  readonly met?: boolean;
  /** What the figure ran on, in words. */
  readonly engine: string;
}

/** In-page training and its Node peers on one backend. */
export interface TrainingComparison {
  readonly page: PageTraining;
  /** The backend as `pnpm train` creates it (the CPU backend on every core). */
  readonly trainer: NodeTraining;
  /** The CPU backend or onnxruntime in Node on as many threads as the page's, where that differs from the trainer's. */
  readonly pageThreads?: NodeTraining;
}

export interface BenchResult {
  readonly machine: MachineInfo;
  readonly figures: readonly Figure[];
  readonly live: readonly LiveFigures[];
  readonly training: readonly TrainingComparison[];
  readonly elapsedSeconds: number;
}

const targeted = (value: number, target: number): Pick<Figure, "target" | "met"> => ({ target, met: value >= target });

export function collectFigures(live: readonly LiveFigures[], training: readonly TrainingComparison[]): Figure[] {
  const figures: Figure[] = [];
  for (const l of live) {
    const { framesPerSecond: fps, msPerLayer: ms } = l;
    figures.push({ name: "live descent", backend: l.backend, value: fps.median, unit: "frames/s", min: fps.min, max: fps.max, ...targeted(fps.median, LIVE_FPS_TARGET), engine: l.engine });
    figures.push({ name: "live descent, compute per layer", backend: l.backend, value: ms.median, unit: "ms", min: ms.min, max: ms.max, engine: l.engine });
  }
  for (const { page, trainer, pageThreads } of training) {
    figures.push({ name: "training in the page", backend: page.backend, value: page.stepsPerSecond, unit: "steps/s", engine: page.engine });
    // The Node trainer as `pnpm train` runs it, and, where its thread count differs from the
    // page's, the same engine on the page's threads: the like-for-like figure.
    const peers: { node: NodeTraining; measured: string; peer: string }[] = [{ node: trainer, measured: "training in the Node trainer", peer: "Node trainer" }];
    if (pageThreads) {
      const threads = `${pageThreads.threads} thread${pageThreads.threads === 1 ? "" : "s"}`;
      peers.push({ node: pageThreads, measured: `training in Node, ${threads} as the page`, peer: `Node, ${threads}` });
    }
    for (const { node, measured, peer } of peers) {
      const ratio = page.stepsPerSecond / node.stepsPerSecond;
      figures.push({ name: measured, backend: node.backend, value: node.stepsPerSecond, unit: "steps/s", engine: node.engine });
      figures.push({ name: `training, page / ${peer}`, backend: page.backend, value: ratio, unit: "x", ...targeted(ratio, TRAINING_RATIO_TARGET), engine: `${page.engine} / ${node.engine}` });
    }
  }
  return figures;
}

const number = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The table `pnpm studio bench` prints, then the machine and what each figure ran on. */
export function formatResult(result: BenchResult, frames: number, runs: number, warmup: number): string[] {
  const rows = result.figures.map((f) => [
    f.name,
    f.backend,
    `${number(f.value)} ${f.unit}`,
    f.min !== undefined && f.max !== undefined ? `${number(f.min)} - ${number(f.max)}` : "",
    f.target !== undefined ? `>= ${number(f.target)} ${f.unit}` : "",
    f.met === undefined ? "" : f.met ? "met" : "NOT met",
  ]);
  const m = result.machine;
  const lines = [...formatTable(["figure", "backend", "value", "range", "target", ""], rows).split("\n"), ""];
  if (result.live.length > 0) {
    lines.push(`Live descent: 64 tokens, d 16, one layer per animation frame, drawing included; the median of ${runs} run(s) of ${frames} frames (range: the lowest and the highest run).`);
  }
  if (result.training.length > 0) {
    const { page, trainer } = result.training[0]!;
    lines.push(`Training: the trainer's quick config on the page's digits, steps per second over ${page.steps} steps in the page and ${trainer.steps} in Node, after ${warmup} untimed steps; compiling excluded.`);
  }
  lines.push(`Machine: ${m.browser}; GPU adapter (as the page reports it): ${m.gpuAdapter}; ${m.cpu}, ${m.cores} cores (the page sees ${m.pageCores}); ${m.os}; Node ${m.node}; cross-origin isolated page: ${m.crossOriginIsolated ? "yes" : "no"}.`);
  const engines = new Map<string, string>();
  for (const f of result.figures) if (f.unit !== "x") engines.set(`${f.name}, ${f.backend}`, f.engine);
  for (const [what, engine] of engines) lines.push(`  ${what}: ${engine}`);
  lines.push(`The bench took ${result.elapsedSeconds.toFixed(0)} s. Targets missed are findings, not failures (exit status 0).`);
  return lines;
}
