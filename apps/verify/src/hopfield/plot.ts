import { PALETTE, chartGrid, lineChart } from "@unfold/plot";
import { CORRUPTIONS } from "./corruption.js";
import { NETWORK_STEPS_PER_LAYER } from "./lagrangian-network.js";
import type { RetrievalResult } from "./retrieval.js";

/**
 * Two panels over the corruption level, one line per corruption: retrieval accuracy after the K
 * steps (solid) beside the corrupted query's own nearest-pattern accuracy (dashed), and the
 * cosine between the right digit and the state before (dashed) and after (solid) the steps.
 */
export function retrievalPlotSvg(result: RetrievalResult): string {
  const lines = (field: "accuracy" | "queryAccuracy" | "cosineBefore" | "cosineAfter", label: string, dashed: boolean) =>
    CORRUPTIONS.map((corruption, k) => {
      const rows = result.rows.filter((r) => r.corruption === corruption);
      return { name: `${corruption} ${label}`, x: rows.map((r) => r.level), y: rows.map((r) => r[field]), color: PALETTE[k % PALETTE.length], dashed, markers: true };
    });
  const panel = (title: string, yLabel: string, series: ReturnType<typeof lines>) =>
    lineChart({ title, xLabel: "corruption level", yLabel, series, yDomain: [0, 1], width: 520, height: 360 });
  const svg = chartGrid({
    title:
      result.network === "lagrangian"
        ? `Two-layer Lagrangian network retrieval of ${result.memories} MNIST digits (beta ${result.beta}, ${result.steps} layers of ${NETWORK_STEPS_PER_LAYER} network steps)`
        : `Modern Hopfield retrieval of ${result.memories} MNIST digits (beta ${result.beta}, ${result.steps} CCCP steps)`,
    charts: [
      panel("retrieved (solid) vs the query itself (dashed)", "accuracy", [...lines("accuracy", "retrieved", false), ...lines("queryAccuracy", "query", true)]),
      panel("cosine to the stored digit: after (solid), before (dashed)", "cosine", [...lines("cosineAfter", "after", false), ...lines("cosineBefore", "before", true)]),
    ],
  });
  return svg.endsWith("\n") ? svg : `${svg}\n`;
}
