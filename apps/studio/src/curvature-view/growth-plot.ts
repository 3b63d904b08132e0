// The growth-rate plot in Observable Plot, the library the page's matrices use: log-log axes,
// one line per block and part with the fitted slope in its legend entry, the fit range shaded,
// and the current data scale marked on every curve. It is redrawn whole on each change, which
// Plot is made for; uPlot's strength, fast updates of a long series, is not needed here.
import * as Plot from "@observablehq/plot";
import { FIT_RANGE, GROWTH_SERIES, type GrowthCurves, type GrowthSeries } from "./growth.js";

/** The legend's name of a series: its fitted slope against the predicted one. */
export function seriesLabel(curves: GrowthCurves, series: GrowthSeries): string {
  const slope = curves.slopes[series];
  return `${series}: slope ${slope === null ? "n/a" : slope.toFixed(2)} (predicted ${curves.predicted[series]})`;
}

export function drawGrowthPlot(parent: HTMLElement, curves: GrowthCurves, current: { readonly sigma: number; readonly norms: Record<GrowthSeries, number> }): void {
  const points = GROWTH_SERIES.flatMap((s) => curves.sigmas.map((sigma, i) => ({ series: seriesLabel(curves, s), full: s.endsWith("_full"), sigma, norm: curves.norms[s][i]! }))).filter((p) => p.norm > 0);
  const marked = GROWTH_SERIES.map((s) => ({ series: seriesLabel(curves, s), sigma: current.sigma, norm: current.norms[s] })).filter((p) => p.norm > 0);
  const chart = Plot.plot({
    width: 460,
    height: 320,
    marginLeft: 56,
    x: { type: "log", label: "data scale sigma", grid: true, tickFormat: "~g" },
    y: { type: "log", label: "||H_block||_F", grid: true, tickFormat: ".0e" },
    color: { legend: true, domain: GROWTH_SERIES.map((s) => seriesLabel(curves, s)) },
    marks: [
      Plot.rectX([FIT_RANGE], { x1: (r: readonly [number, number]) => r[0], x2: (r: readonly [number, number]) => r[1], fill: "#eee" }),
      Plot.text([FIT_RANGE], { x: (r: readonly [number, number]) => Math.sqrt(r[0] * r[1]), frameAnchor: "top", dy: 6, text: () => "fit range" }),
      // The full block dashed: below saturation it lies on its dominant part's line.
      Plot.line(points.filter((p) => !p.full), { x: "sigma", y: "norm", stroke: "series" }),
      Plot.line(points.filter((p) => p.full), { x: "sigma", y: "norm", stroke: "series", strokeDasharray: "6,3" }),
      Plot.dot(points, { x: "sigma", y: "norm", fill: "series", r: 2 }),
      Plot.ruleX([current.sigma], { stroke: "#d00", strokeDasharray: "3,3" }),
      Plot.dot(marked, { x: "sigma", y: "norm", stroke: "series", r: 6, strokeWidth: 2 }),
    ],
    ariaLabel: `Block norms against the data scale, log-log; ${GROWTH_SERIES.map((s) => seriesLabel(curves, s)).join("; ")}; marked at sigma ${current.sigma.toPrecision(3)}`,
  });
  parent.replaceChildren(chart);
}
