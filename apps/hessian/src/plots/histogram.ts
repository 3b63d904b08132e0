import { COLORS, escape, svgOpen, writeAtomically } from "./svg.js";

export interface HistogramSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
}

export interface HistogramPanel {
  readonly title: string;
  readonly series: readonly HistogramSeries[];
}

/**
 * Histograms of log10 |entry| (zeros left out and counted in the legend), one panel per model,
 * the series overlaid as step outlines: H_VV against H_QQ, whose magnitudes sit decades apart.
 */
export function writeHistograms(path: string, title: string, panels: readonly HistogramPanel[], bins = 40): void {
  const logs = panels.map((p) => p.series.map((s) => Array.from(s.values, Math.abs).filter((v) => v > 0).map(Math.log10)));
  const all = logs.flat(2);
  const lo = Math.floor(Math.min(...all));
  const hi = Math.ceil(Math.max(...all));
  const width = (hi - lo) / bins || 1;
  const panelW = 360;
  const panelH = 240;
  const pad = { left: 60, right: 20, top: 50, bottom: 50 };
  const parts = svgOpen(panels.length * (panelW + pad.left + pad.right), panelH + pad.top + pad.bottom + 40, title);
  panels.forEach((panel, p) => {
    const x0 = p * (panelW + pad.left + pad.right) + pad.left;
    const y0 = pad.top;
    const counts = logs[p]!.map((values) => {
      const c = new Array<number>(bins).fill(0);
      for (const v of values) c[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1 / values.length;
      return c;
    });
    const peak = Math.max(...counts.flat(), 1e-12);
    parts.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#888"/>`);
    parts.push(`<text x="${x0 + panelW / 2}" y="${y0 - 10}" text-anchor="middle">${escape(panel.title)}</text>`);
    for (let e = lo; e <= hi; e += Math.max(1, Math.round((hi - lo) / 8))) {
      const x = x0 + ((e - lo) / (hi - lo)) * panelW;
      parts.push(`<text x="${x}" y="${y0 + panelH + 16}" text-anchor="middle">1e${e}</text>`);
    }
    parts.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 34}" text-anchor="middle">|entry|</text>`);
    parts.push(`<text x="${x0 - 40}" y="${y0 + panelH / 2}" transform="rotate(-90 ${x0 - 40} ${y0 + panelH / 2})" text-anchor="middle">fraction of entries</text>`);
    panel.series.forEach((s, k) => {
      const color = COLORS[k % COLORS.length]!;
      const pts: string[] = [];
      counts[k]!.forEach((c, b) => {
        const xa = x0 + (b / bins) * panelW;
        const xb = x0 + ((b + 1) / bins) * panelW;
        const y = y0 + panelH - (c / peak) * (panelH - 10);
        pts.push(`${xa.toFixed(1)},${y.toFixed(1)}`, `${xb.toFixed(1)},${y.toFixed(1)}`);
      });
      parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`);
      const zeros = s.values.length - logs[p]![k]!.length;
      parts.push(`<text x="${x0 + 8}" y="${y0 + 16 + 14 * k}" fill="${color}">${escape(s.name)}${zeros ? ` (${zeros} exact zeros)` : ""}</text>`);
    });
  });
  parts.push("</svg>");
  writeAtomically(path, parts.join("\n") + "\n");
}
