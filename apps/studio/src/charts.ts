// The page's charts, drawn with uPlot: the energy and each term by layer (guard events marked),
// and the tokens' PCA projection with their trails across layers (uPlot's mode 2: x-y series).
import uPlot from "uplot";
import type { DescentResult } from "./descent.js";
import { projectPca } from "./pca.js";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function sizeOf(parent: HTMLElement): { width: number; height: number } {
  const width = Math.max(240, Math.floor(parent.clientWidth));
  return { width, height: Math.round(Math.min(360, width * 0.7)) };
}

/** A uPlot path builder that draws each (x, y) of a mode-2 series as a filled dot of `radius` CSS pixels. */
function dots(radius: number): uPlot.Series.PathBuilder {
  return (u, seriesIndex) => {
    const [xs, ys] = u.data[seriesIndex] as unknown as [number[], number[]];
    const path = new Path2D();
    const r = radius * devicePixelRatio;
    xs.forEach((x, i) => {
      const cx = u.valToPos(x, "x", true);
      const cy = u.valToPos(ys[i]!, "y", true);
      path.moveTo(cx + r, cy);
      path.arc(cx, cy, r, 0, 2 * Math.PI);
    });
    return { stroke: path, fill: path };
  };
}

/** Tick labels short enough for the axis: 6.0e+6 rather than 6,000,000. */
function compact(value: number): string {
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(1) : String(+value.toPrecision(4));
}

/** The energy and each term against the layer; the guard's events as red markers on the total. */
export function drawEnergy(parent: HTMLElement, result: DescentResult): uPlot {
  parent.replaceChildren();
  const layers = result.layers.map((l) => l.layer);
  const terms = Object.keys(result.layers[0]?.terms ?? {});
  const marks: (number | null)[] = layers.map(() => null);
  for (const event of result.guardEvents) marks[event.layer] = result.layers[event.layer]!.energy;
  const data: uPlot.AlignedData = [
    layers,
    result.layers.map((l) => l.energy),
    ...terms.map((t) => result.layers.map((l) => l.terms[t] ?? null)),
    marks,
  ];
  const series: uPlot.Series[] = [
    { label: "layer" },
    { label: "energy", stroke: "#000", width: 2 },
    ...terms.map((t, i) => ({ label: t, stroke: PALETTE[i % PALETTE.length]!, width: 1, dash: [4, 3] })),
    { label: "guard event", stroke: "#d00", paths: () => null, points: { show: true, size: 12, stroke: "#d00", fill: "#d00" } },
  ];
  return new uPlot({ ...sizeOf(parent), title: "Energy by layer", scales: { x: { time: false } }, series, axes: [{ label: "layer", incrs: [1, 2, 5, 10] }, { label: "energy", size: 70, values: (_u, ticks) => ticks.map(compact) }] }, data, parent);
}

/**
 * The tokens after every layer, projected on the two principal components of all of them: one
 * series per token whose points are its positions layer by layer (its trail); the last layer's
 * point is drawn as a dot.
 */
export function drawProjection(parent: HTMLElement, result: DescentResult, maxTokens = 48): uPlot {
  parent.replaceChildren();
  const dim = result.shape[result.shape.length - 1]!;
  const { coordinates, explained } = projectPca(result.states, dim, 2);
  const tokens = Math.min(maxTokens, coordinates[0]!.length / 2);
  const data: uPlot.AlignedData = [null as unknown as number[]];
  const series: uPlot.Series[] = [{}];
  for (let t = 0; t < tokens; t++) {
    data.push([coordinates.map((c) => c[2 * t]!), coordinates.map((c) => c[2 * t + 1]!)] as unknown as number[]);
    const color = PALETTE[t % PALETTE.length]!;
    series.push({ label: `token ${t}`, stroke: color, width: 1, points: { show: false } });
  }
  // The tokens after the last layer, as dots at the ends of their trails.
  const last = coordinates[coordinates.length - 1]!;
  data.push([Array.from({ length: tokens }, (_, t) => last[2 * t]!), Array.from({ length: tokens }, (_, t) => last[2 * t + 1]!)] as unknown as number[]);
  series.push({ label: "last layer", stroke: "#000", fill: "#000", paths: dots(3), points: { show: false } });
  return new uPlot(
    {
      ...sizeOf(parent),
      mode: 2,
      title: `Tokens, PCA (${(100 * explained).toFixed(0)}% of variance), trails by layer`,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ label: "PC 1" }, { label: "PC 2", size: 50 }],
      series,
    },
    data,
    parent,
  );
}
