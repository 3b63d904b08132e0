// `pnpm studio bench`'s flags: parsed and checked before anything is built or started, each
// error naming its flag.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { integerFlag, listFlag, outputFileFlag, parse } from "@unfold/cli";
import { stepsPerEpoch } from "@unfold/training";
import { PAGE_TRAIN_DIGITS } from "../train/digits-file.js";
import { QUICK_TRAIN } from "../train/quick-config.js";

/** The backends the bench measures: the issue sets training's target on each. */
export const BENCH_BACKENDS = ["cpu", "webgpu", "onnx", "tfjs"] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];
/** The backends live descent is measured on (the 30 frames per second is set on these two). */
export const LIVE_BACKENDS: readonly BenchBackend[] = ["cpu", "webgpu"];

/**
 * Where --quick times training. Not WebGPU: on a software GPU a step takes seconds. Not ONNX: its
 * first tens of steps in the page run while V8 is still compiling onnxruntime's 28 MB WebAssembly
 * with its optimizing tier, so a few steps time that compile, not training. Not TensorFlow.js, to
 * keep the run near a minute on two cores.
 */
export const QUICK_TRAIN_BACKENDS: readonly BenchBackend[] = ["cpu"];

/** Steps of the quick run on the page's digits. */
export const QUICK_RUN_STEPS = QUICK_TRAIN.epochs * stepsPerEpoch(PAGE_TRAIN_DIGITS, QUICK_TRAIN.batchSize);
/**
 * Training steps run before the clock starts, in the page and in Node alike (--warmup): the first
 * steps pay for WebAssembly's tier-up (V8 starts on its baseline compiler) and the GPU's first
 * dispatches. onnxruntime's WebAssembly is large enough that its tier-up in the page outlasts
 * this (see QUICK_TRAIN_BACKENDS); `--warmup 100` times it once compiled.
 */
export const WARMUP_STEPS = 10;
/** The most --steps can time with the default warm-up: the run's steps after it. */
export const MAX_TIMED_STEPS = QUICK_RUN_STEPS - WARMUP_STEPS;

export interface StudioBenchOptions {
  readonly quick: boolean;
  readonly json: boolean;
  /** Layers (animation frames) per live-descent run. */
  readonly frames: number;
  /** Live-descent runs per backend: the table shows their median and range. */
  readonly runs: number;
  /** Training steps run untimed before `steps`, in the page and in Node. */
  readonly warmup: number;
  /** Training steps timed in the page and in Node, after `warmup`. */
  readonly steps: number;
  /** The backends --backends names, in its order. */
  readonly backends: readonly BenchBackend[];
  /** Where live descent is measured: the backends of LIVE_BACKENDS among them. */
  readonly liveBackends: readonly BenchBackend[];
  /** Where training is timed: the backends, only the CPU one under --quick. */
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
live descent (64 tokens, d 16, one layer per animation frame) on CPU and WebGPU, and in-page
training of the trainer's quick MNIST config against the same training run in Node.

  --quick           fewer frames and steps (${QUICK_DEFAULTS.frames} frames, ${QUICK_DEFAULTS.steps} steps; otherwise ${DEFAULTS.frames} and ${DEFAULTS.steps}),
                    and training timed on the CPU backend only (a WebGPU step takes seconds on a software GPU;
                    ONNX's first steps in the page time V8's compile of onnxruntime, not training)
  --json            print the result as one JSON object on the last line
  --frames N        layers (animation frames) per live-descent run
  --runs N          live-descent runs per backend (median and range; default ${DEFAULTS.runs})
  --steps N         training steps timed in the page and in Node, after the warm-up (with it, at most the quick run's ${QUICK_RUN_STEPS})
  --warmup N        untimed training steps before those (default ${WARMUP_STEPS}; onnxruntime's WebAssembly takes about 100 in the page to compile fully)
  --backends LIST   comma-separated, of ${BENCH_BACKENDS.join(", ")} (default: all); live descent runs on
                    ${LIVE_BACKENDS.join(" and ")} among them, training on each
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
    warmup: { type: "string" },
    backends: { type: "string" },
    dist: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  });
  const quick = flags["quick"] === true;
  const defaults = quick ? QUICK_DEFAULTS : DEFAULTS;
  const steps = integerFlag("steps", flags["steps"], defaults.steps);
  const warmup = integerFlag("warmup", flags["warmup"], WARMUP_STEPS);
  if (warmup + steps > QUICK_RUN_STEPS) {
    const given = flags["warmup"] === undefined ? "--steps" : "--steps plus --warmup";
    throw new Error(`${given} must be at most ${QUICK_RUN_STEPS} (the quick run has ${QUICK_RUN_STEPS} steps on the page's ${PAGE_TRAIN_DIGITS} digits, ${warmup} of them untimed warm-up), got '${steps}' + '${warmup}'`);
  }
  const backends = listFlag("backends", flags["backends"], BENCH_BACKENDS) ?? [...BENCH_BACKENDS];
  return {
    quick,
    json: flags["json"] === true,
    frames: integerFlag("frames", flags["frames"], defaults.frames),
    runs: integerFlag("runs", flags["runs"], defaults.runs),
    warmup,
    steps,
    backends,
    liveBackends: backends.filter((b) => LIVE_BACKENDS.includes(b)),
    trainBackends: quick ? backends.filter((b) => QUICK_TRAIN_BACKENDS.includes(b)) : backends,
    dist: distFlag(flags["dist"]),
    out: outputFileFlag("out", flags["out"]),
    help: flags["help"] === true,
  };
}
