// The fixed-point study as text: the forward table, the training-step table per depth, the
// memory ratios against the target; and as a chart of peak memory against depth.
import { formatAlignedTable } from "@unfold/cli";
import { PALETTE, lineChart } from "@unfold/plot";
import type { NamedChart } from "../report/charts.js";
import { formatMs } from "../report/markdown.js";
import { type FixedPointResult, MEMORY_RATIO_TARGET, type TrainRow } from "./study.js";

const MIB = 1024 * 1024;
/** Bytes as MiB with 2 decimals; "-" for a figure the engine does not have. */
export const formatMiB = (bytes: number | null): string => (bytes === null ? "-" : (bytes / MIB).toFixed(2));

/** The figure a row's memory ratio is judged on: the backend's pool where it has one, else the heap. */
export const memoryOf = (row: TrainRow): number => row.poolPeakBytes ?? row.heapPeakBytes;

/** The three tables and the notes under them. */
export function formatFixedPoint(result: FixedPointResult): string {
  const { plan } = result;
  const forward = formatAlignedTable(
    ["engine", "dtype", "solver", "median ms", "iterations", "layer evaluations", "converged", "residual"],
    result.forward.map((r) => [r.engine, r.dtype, r.solver, formatMs(r.medianMs), String(r.iterations), String(r.layerEvaluations), r.converged ? "yes" : "no", r.residual.toExponential(2)]),
    [false, false, false, true, true, true, false, true],
  );
  const train = formatAlignedTable(
    ["engine", "step", "K", "median ms", "pool peak MiB", "heap peak MiB", "forward evals", "adjoint products", "loss", "|grad|"],
    result.train.map((r) => [
      r.engine,
      r.mode,
      String(r.depth),
      formatMs(r.medianMs),
      formatMiB(r.poolPeakBytes),
      formatMiB(r.heapPeakBytes),
      String(r.forwardEvaluations),
      r.adjointIterations === null ? "-" : String(r.adjointIterations),
      r.loss.toPrecision(6),
      r.gradientNorm.toPrecision(4),
    ]),
    [false, false, true, true, true, true, true, true, true, true],
  );
  const ratios = formatAlignedTable(
    ["engine", "step", "measure", "peak ratio", "target"],
    result.ratios.map((r) => [
      r.engine,
      r.mode,
      r.measure,
      `${Number.isFinite(r.ratio) ? r.ratio.toFixed(3) : "-"} (K=${r.toDepth} / K=${r.fromDepth})`,
      r.meetsTarget === null ? (r.mode === "implicit" ? "not judged (sampled heap)" : "-") : `${r.meetsTarget ? "met" : "MISSED"} (<= ${MEMORY_RATIO_TARGET})`,
    ]),
    [false, false, false, true, false],
  );
  const { batch, tokens, dim, outputs } = plan.shape;
  return [
    `fixed-point: the tied Yang layer (no anchor) from X to a relative residual of ${plan.tol} (at most ${plan.maxIterations} iterations)`,
    forward,
    "",
    `implicit-train-step against unrolled-train-step, depth K = ${plan.depths.join(", ")}`,
    train,
    "",
    ratios,
    "",
    ...(result.unavailable.length > 0 ? [`unavailable: ${result.unavailable.map((u) => `${u.engine} (${u.reason})`).join("; ")}`, ""] : []),
    `Model: one tied Yang layer (attention MM step 0.5, ReLU feed-forward step) and an anchor step on (1/2)||Y - X||^2, batch ${batch} x ${tokens} tokens x d ${dim};`,
    `readout: mean over tokens, linear to ${outputs}, squared loss. Unrolled: the K-layer program differentiated in every parameter, run once.`,
    "Implicit: K layer evaluations by solveFixedPoint (plain iteration), then implicitGradient's GMRES adjoint with a fixed budget of products.",
    "Peaks are of the first run on a fresh backend (compilation included), over what was in use before it: pool = the backend's own count",
    "(CPU arena, WebGPU buffer pool, TensorFlow.js tensor bytes), heap = V8 heap + external sampled every 2 ms (reference, onnx: no pool count).",
    "median ms: of the timed runs after it (the reference runs once: its first run's time). Timings are wall-clock on a shared machine.",
  ].join("\n");
}

/** Peak memory against depth on log-log axes: one line per engine and step, unrolled dashed. */
export function memoryChart(result: FixedPointResult): NamedChart | null {
  const depths = [...result.plan.depths];
  const engines = [...new Set(result.train.map((r) => r.engine))];
  if (engines.length === 0) return null;
  const series = engines.flatMap((engine, k) =>
    (["implicit", "unrolled"] as const).map((mode) => ({
      name: `${engine} ${mode}`,
      x: depths,
      y: depths.map((depth) => {
        const row = result.train.find((r) => r.engine === engine && r.mode === mode && r.depth === depth);
        const bytes = row ? memoryOf(row) : Number.NaN;
        // A log axis cannot draw 0: such a point breaks the line.
        return bytes > 0 ? bytes / MIB : Number.NaN;
      }),
      color: PALETTE[k % PALETTE.length] ?? "#333",
      dashed: mode === "unrolled",
      markers: true,
    })),
  );
  const svg = lineChart({
    title: "training step: peak memory against depth K (implicit solid, unrolled dashed)",
    xLabel: "depth K (log)",
    yLabel: "peak MiB (pool, else heap; log)",
    series,
    logX: true,
    logY: true,
    legend: true,
  });
  return { name: "fixed-point-memory.svg", svg };
}
