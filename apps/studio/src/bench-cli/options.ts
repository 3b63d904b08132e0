// `pnpm studio bench`'s flags: parsed and checked before anything is built or started, each
// error naming its flag.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { integerFlag, listFlag, outputFileFlag, parse } from "@unfold/cli";
import { stepsPerEpoch } from "@unfold/training";
import { PAGE_TRAIN_DIGITS } from "../train/digits-file.js";
import { QUICK_TRAIN } from "../train/quick-config.js";

/** The backends the issue sets speed targets on; the bench measures these. */
export const BENCH_BACKENDS = ["cpu", "webgpu"] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

/** Steps of the quick run on the page's digits. */
export const QUICK_RUN_STEPS = QUICK_TRAIN.epochs * stepsPerEpoch(PAGE_TRAIN_DIGITS, QUICK_TRAIN.batchSize);
/**
 * Training steps run before the clock starts, in the page and in Node alike: the first steps pay
 * for WebAssembly's tier-up (V8 starts on its baseline compiler) and the GPU's first dispatches.
 */
export const WARMUP_STEPS = 10;
/** The most --steps can time: the run's steps after the warm-up. */
export const MAX_TIMED_STEPS = QUICK_RUN_STEPS - WARMUP_STEPS;

export interface StudioBenchOptions {
  readonly quick: boolean;
  readonly json: boolean;
  /** Layers (animation frames) per live-descent run. */
  readonly frames: number;
  /** Live-descent runs per backend: the table shows their median and range. */
  readonly runs: number;
  /** Training steps timed in the page and in Node, after WARMUP_STEPS. */
  readonly steps: number;
  /** Where live descent is measured. */
  readonly backends: readonly BenchBackend[];
  /** Where training is timed: the backends, less WebGPU under --quick. */
  readonly trainBackends: readonly BenchBackend[];
  /** An existing build to serve instead of building the app; absolute. */
  readonly dist: string | undefined;
  /** Where to write the JSON result as well; absolute. */
  readonly out: string | undefined;
  readonly help: boolean;
}

export const DEFAULTS = { frames: 240, runs: 3, steps: 60 } as const;
export const QUICK_DEFAULTS = { frames: 60, runs: 3, steps: 20 } as const;

export const USAGE = `usage: pnpm studio bench [--quick] [--json] [--frames N] [--runs N] [--steps N] [--backends LIST] [--dist DIR] [--out FILE]

Builds the studio, serves it on localhost and measures it in headless Chromium (playwright-core):
live descent (64 tokens, d 16, one layer per animation frame) and in-page training of the
trainer's quick MNIST config, against the same training run in this Node process.

  --quick           fewer frames and steps (${QUICK_DEFAULTS.frames} frames, ${QUICK_DEFAULTS.steps} steps; otherwise ${DEFAULTS.frames} and ${DEFAULTS.steps}),
                    and training timed on the CPU backend only (on a software GPU a WebGPU step takes seconds)
  --json            print the result as one JSON object on the last line
  --frames N        layers (animation frames) per live-descent run
  --runs N          live-descent runs per backend (median and range; default ${DEFAULTS.runs})
  --steps N         training steps timed in the page and in Node, after ${WARMUP_STEPS} untimed ones (at most ${MAX_TIMED_STEPS}: the quick run has ${QUICK_RUN_STEPS})
  --backends LIST   comma-separated, of ${BENCH_BACKENDS.join(", ")} (default: both)
  --dist DIR        serve this existing build (pnpm studio build writes apps/studio/dist) instead of building
  --out FILE        write the JSON result to FILE as well (atomically)

The figures are compared with the issue's targets (30 frames/s; in-page training at least half
of Node's); a target missed is reported, not an error: the exit status is 0 unless the bench failed.`;

/** The folder --dist names, checked: it exists and holds the app's index.html. */
function distFlag(value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new Error("--dist needs a folder (a build of the studio, e.g. apps/studio/dist)");
  const dir = resolve(value);
  if (!existsSync(dir)) throw new Error(`--dist: no folder '${value}'; build one with \`pnpm studio build\` (apps/studio/dist) or leave --dist out`);
  if (!statSync(dir).isDirectory()) throw new Error(`--dist: '${value}' is a file, not a folder`);
  if (!existsSync(join(dir, "index.html"))) throw new Error(`--dist: '${value}' has no index.html; it is not a build of the studio`);
  return dir;
}

export function parseBenchOptions(args: string[]): StudioBenchOptions {
  const flags = parse(args, {
    quick: { type: "boolean" },
    json: { type: "boolean" },
    frames: { type: "string" },
    runs: { type: "string" },
    steps: { type: "string" },
    backends: { type: "string" },
    dist: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  });
  const quick = flags["quick"] === true;
  const defaults = quick ? QUICK_DEFAULTS : DEFAULTS;
  const steps = integerFlag("steps", flags["steps"], defaults.steps);
  if (steps > MAX_TIMED_STEPS) {
    throw new Error(`--steps must be at most ${MAX_TIMED_STEPS} (the quick run has ${QUICK_RUN_STEPS} steps on the page's ${PAGE_TRAIN_DIGITS} digits, ${WARMUP_STEPS} of them untimed warm-up), got '${steps}'`);
  }
  const backends = listFlag("backends", flags["backends"], BENCH_BACKENDS) ?? [...BENCH_BACKENDS];
  return {
    quick,
    json: flags["json"] === true,
    frames: integerFlag("frames", flags["frames"], defaults.frames),
    runs: integerFlag("runs", flags["runs"], defaults.runs),
    steps,
    backends,
    trainBackends: quick ? backends.filter((b) => b !== "webgpu") : backends,
    dist: distFlag(flags["dist"]),
    out: outputFileFlag("out", flags["out"]),
    help: flags["help"] === true,
  };
}
