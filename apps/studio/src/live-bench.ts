// Live descent, measured: a Yang et al. unfolding on 64 tokens in 16-D stepped one layer per
// animation frame (requestAnimationFrame) and drawn after each (energy chart and PCA projection
// with trails), as the page's live view does, on one backend. The browser test calls it through
// window.__studioBench and prints the figures; they are not asserted.
import { Random, defineUnfolding, hostTensor } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { type BackendName, BACKEND_DTYPES, openBackend } from "./backends.js";
import { drawEnergy, drawProjection } from "./charts.js";
import { runDescent } from "./descent.js";
import { drawEachFrame } from "./live-frames.js";
import type { Scene } from "./scenes.js";

export const BENCH_TOKENS = 64;
export const BENCH_DIM = 16;

/** 64 seeded non-negative tokens in 16-D under the Yang et al. energy, one head, tied weights. */
export const LIVE_BENCH_SCENE: Scene = {
  name: `points-${BENCH_TOKENS}x${BENCH_DIM}`,
  reference: `${BENCH_TOKENS} seeded tokens in ${BENCH_DIM}-D under the Yang et al. energy (NeurIPS 2022), one head, tied weights`,
  guarantee: "each step lowers its own term",
  build(dtype) {
    const energy = yangEnergy({ dim: BENCH_DIM });
    const exact = initYangParams({ dim: BENCH_DIM }, { seed: 316 });
    const steps = yangLayerSteps(energy, { attentionStepSize: 0.5, feedForwardStepSize: safeFeedForwardStepSize(exact, BENCH_DIM) });
    const rng = new Random(416);
    const tokens = Float64Array.from({ length: BENCH_TOKENS * BENCH_DIM }, () => 3 * Math.abs(rng.normal()));
    const params = Object.fromEntries(Object.entries(exact).map(([name, t]) => [name, hostTensor(t.data, t.shape, dtype)]));
    return { unfolding: defineUnfolding({ energy, steps, layers: 1 }), state: hostTensor(tokens, [1, BENCH_TOKENS, BENCH_DIM], dtype), params: [params] };
  },
};

export interface LiveBenchResult {
  readonly backend: BackendName;
  readonly engine: string;
  readonly frames: number;
  /** Layers shown per second of wall time, one layer per animation frame. */
  readonly framesPerSecond: number;
  /** The mean time a layer takes to compute and read back, drawing and the frame's wait excluded. */
  readonly msPerLayer: number;
  /** The first (compiling) run of one layer. */
  readonly firstLayerMs: number;
  /**
   * On WebGPU, the command buffers submitted and the staging buffers mapped (each a round trip to
   * the GPU process) per layer of the measured run, from the backend's counters; absent elsewhere.
   */
  readonly deviceCalls?: { readonly submitsPerLayer: number; readonly readbacksPerLayer: number };
}

/** The counters of a backend that keeps them (WebGPU's stats()), else undefined. */
function deviceCounts(backend: object): { submits: number; readbacks: number } | undefined {
  const stats = (backend as { stats?: () => { submits?: unknown; readbacks?: unknown } }).stats?.();
  return typeof stats?.submits === "number" && typeof stats.readbacks === "number" ? { submits: stats.submits, readbacks: stats.readbacks } : undefined;
}


/** Steps the bench scene `frames` layers on `name`, one per animation frame, after one compiling layer. */
export async function benchLiveDescent(name: BackendName, frames: number): Promise<LiveBenchResult> {
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`frames must be a positive integer, got ${frames}`);
  const { backend, engine } = await openBackend(name);
  // Charts of their own, at the page's chart width, removed afterwards: the page's own stay as they were.
  const charts = document.createElement("div");
  charts.style.width = "640px";
  const energyChart = charts.appendChild(document.createElement("div"));
  const projectionChart = charts.appendChild(document.createElement("div"));
  document.body.append(charts);
  try {
    const instance = LIVE_BENCH_SCENE.build(BACKEND_DTYPES[name]);
    const first = await runDescent(instance, backend, { layers: 1 });
    const before = deviceCounts(backend);
    const start = performance.now();
    const run = await runDescent(instance, backend, { layers: frames }, drawEachFrame((sofar) => {
      drawEnergy(energyChart, sofar);
      drawProjection(projectionChart, sofar);
    }));
    const seconds = (performance.now() - start) / 1000;
    const after = deviceCounts(backend);
    const deviceCalls = before && after ? { submitsPerLayer: (after.submits - before.submits) / frames, readbacksPerLayer: (after.readbacks - before.readbacks) / frames } : undefined;
    return { backend: name, engine, frames, framesPerSecond: frames / seconds, msPerLayer: run.ms / frames, firstLayerMs: first.ms, ...(deviceCalls ? { deviceCalls } : {}) };
  } finally {
    charts.remove();
    await backend.dispose();
  }
}

declare global {
  interface Window {
    __studioBench?: typeof benchLiveDescent;
  }
}

window.__studioBench = benchLiveDescent;
