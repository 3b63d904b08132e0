import { type Backend, relativeError } from "@unfold/core";
import { collectGarbage } from "../memory.js";
import type { SoakProgram } from "./program.js";

/** Relative error above which a float32 backend's result counts as wrong (rounding is ~1e-7). */
export const SOAK_TOLERANCE = 1e-4;

export type SoakStatus = "ok" | "leak" | "failed" | "unavailable";

/** One backend's figures, as the child process reports them and the command prints them. */
export interface SoakFigures {
  readonly backend: string;
  /** The process the lives ran in (each backend's own child, unless --in-process). */
  readonly pid: number | null;
  readonly status: SoakStatus;
  /** Why the status is not ok: the failed check, the error, or what is missing. */
  readonly reason?: string;
  /** Lives lived (fewer than asked when one failed). */
  readonly lives: number;
  readonly warmupLives: number;
  /** Resident set size after the warm-up lives and at the end, after a full garbage collection. */
  readonly rssAfterWarmupMB: number | null;
  readonly rssEndMB: number | null;
  readonly rssGrowthMB: number | null;
  /** V8's heap in use (heapUsed), and the memory outside it that V8 accounts for (external). */
  readonly heapGrowthMB: number | null;
  readonly externalGrowthMB: number | null;
  /** The largest RSS seen at a progress point. */
  readonly peakRssMB: number | null;
  readonly msPerLife: number | null;
  /** The worst relative error of any life's result against the float64 reference. */
  readonly maxRelErr: number | null;
}

export interface SoakPlan {
  readonly backend: string;
  readonly create: () => Backend | Promise<Backend>;
  readonly program: SoakProgram;
  readonly lives: number;
  readonly warmupLives: number;
  readonly onProgress?: (message: string) => void;
}

interface Memory {
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
}

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/**
 * Live memory only: a full collection, a pause for finalizers and native callbacks that run on
 * the event loop (a released device, a terminated worker), then another collection.
 */
async function settledMemory(): Promise<Memory> {
  for (let round = 0; round < 3; round++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heap: heapUsed, external };
}

/** Why a backend cannot run here at all (no adapter), as opposed to a failure of the backend. */
function unavailableReason(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return /no WebGPU adapter/i.test(message) ? message : undefined;
}

/**
 * One life: create a backend, compile the program, upload one input, run, read every output
 * back and check it against the float64 reference, dispose everything. Returns the worst
 * relative error; throws when a result is wrong.
 */
async function live(plan: SoakPlan, life: number): Promise<number> {
  const backend = await plan.create();
  try {
    const { program, feeds, expected } = plan.program;
    const executable = await backend.compile(program);
    const A = await backend.upload(feeds.A);
    try {
      const outputs = await executable.run({ A, B: feeds.B });
      let worst = 0;
      for (const [name, tensor] of Object.entries(outputs)) {
        const got = (await tensor.read()).data;
        tensor.dispose();
        const want = expected[name];
        if (!want) throw new Error(`life ${life}: the backend returned an output '${name}' the program does not have`);
        const error = got.length === want.length ? relativeError(got, want) : Infinity;
        if (!(error <= SOAK_TOLERANCE)) {
          throw new Error(`result check failed at life ${life}: output '${name}' is ${got.length === want.length ? `${error.toExponential(2)} from` : `${got.length} values, not the ${want.length} of`} the float64 reference (tolerance ${SOAK_TOLERANCE})`);
        }
        worst = Math.max(worst, error);
      }
      for (const name of Object.keys(expected)) if (!(name in outputs)) throw new Error(`life ${life}: the backend returned no output '${name}'`);
      return worst;
    } finally {
      A.dispose();
    }
  } finally {
    await backend.dispose();
  }
}

/**
 * Lives `plan.lives` backend lives in this process and reports the memory they left behind:
 * RSS and heap after the warm-up lives (one-time costs: code, caches, thread pools) against the
 * same at the end. A wrong result or an error ends the run with status "failed".
 */
export async function soakLives(plan: SoakPlan): Promise<SoakFigures> {
  const { backend, lives, warmupLives } = plan;
  const progress = plan.onProgress ?? (() => undefined);
  const every = Math.max(1, Math.round(lives / 10));
  let baseline = warmupLives === 0 ? await settledMemory() : undefined;
  let peakRss = process.memoryUsage().rss;
  let maxRelErr = 0;
  let lived = 0;
  const started = performance.now();
  let failure: { status: SoakStatus; reason: string } | undefined;
  for (let life = 1; life <= lives; life++) {
    try {
      maxRelErr = Math.max(maxRelErr, await live(plan, life));
    } catch (error) {
      const missing = life === 1 ? unavailableReason(error) : undefined;
      failure = missing ? { status: "unavailable", reason: missing } : { status: "failed", reason: error instanceof Error ? error.message : String(error) };
      break;
    }
    lived = life;
    if (life === warmupLives) {
      baseline = await settledMemory();
      progress(`${backend}: ${life}/${lives} lives (warm-up done), RSS ${mb(baseline.rss)} MB, heap ${mb(baseline.heap)} MB`);
    } else if (life % every === 0 || life === lives) {
      const { rss, heapUsed } = process.memoryUsage();
      peakRss = Math.max(peakRss, rss);
      progress(`${backend}: ${life}/${lives} lives, RSS ${mb(rss)} MB, heap ${mb(heapUsed)} MB`);
    }
  }
  const end = lived > 0 && baseline ? await settledMemory() : undefined;
  const growth = (key: keyof Memory): number | null => (end && baseline ? mb(end[key] - baseline[key]) : null);
  return {
    backend,
    pid: process.pid,
    status: failure?.status ?? "ok",
    ...(failure ? { reason: failure.reason } : {}),
    lives: lived,
    warmupLives,
    rssAfterWarmupMB: baseline ? mb(baseline.rss) : null,
    rssEndMB: end ? mb(end.rss) : null,
    rssGrowthMB: growth("rss"),
    heapGrowthMB: growth("heap"),
    externalGrowthMB: growth("external"),
    peakRssMB: mb(Math.max(peakRss, end?.rss ?? 0)),
    msPerLife: lived > 0 ? Math.round(((performance.now() - started) / lived) * 100) / 100 : null,
    maxRelErr: lived > 0 ? maxRelErr : null,
  };
}
