import { type ScalingResult, type ScalingSeries, PREDICTED_SLOPES } from "@unfold/hessian";
import { COLORS, decades, escape, svgOpen, writeAtomically } from "./svg.js";

const PANELS: readonly { readonly title: string; readonly series: readonly ScalingSeries[] }[] = [
  { title: "W_V block (softmax)", series: ["V_outer", "V_full"] },
  { title: "W_Q block (softmax)", series: ["Q_outer", "Q_functional", "Q_full"] },
  { title: "W_Q block: linear and pre-LN attention; deep linear MLP", series: ["linear_Q", "preln_Q", "mlp"] },
];

/**
 * Log-log growth curves ||H_block||_F against sigma, one panel per block, with each series'
 * predicted slope drawn dashed through its first point inside the fit range.
 */
export function writeGrowthPlot(path: string, result: ScalingResult): void {
  const panelW = 340;
  const panelH = 260;
  const pad = { left: 70, right: 20, top: 50, bottom: 50 };
  const parts = svgOpen(PANELS.length * (panelW + pad.left + pad.right), panelH + pad.top + pad.bottom + 70, "Hessian block norms against the data scale sigma (dashed: predicted slopes)");
  const sx = result.sigmas.map(Math.log10);
  const xLo = Math.min(...sx);
  const xHi = Math.max(...sx);
  PANELS.forEach((panel, p) => {
    const x0 = p * (panelW + pad.left + pad.right) + pad.left;
    const y0 = pad.top;
    const values = panel.series.flatMap((s) => result.norms[s].filter((v) => v > 0));
    const yLo = Math.floor(Math.log10(Math.min(...values)));
    const yHi = Math.ceil(Math.log10(Math.max(...values)));
    const px = (ls: number): number => x0 + ((ls - xLo) / (xHi - xLo)) * panelW;
    const py = (lv: number): number => y0 + panelH - ((lv - yLo) / (yHi - yLo || 1)) * panelH;
    parts.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#888"/>`);
    parts.push(`<text x="${x0 + panelW / 2}" y="${y0 - 10}" text-anchor="middle">${escape(panel.title)}</text>`);
    for (const e of decades(10 ** xLo, 10 ** xHi)) parts.push(`<text x="${px(e)}" y="${y0 + panelH + 16}" text-anchor="middle">1e${e}</text>`);
    const step = Math.max(1, Math.ceil((yHi - yLo) / 8));
    for (let e = yLo; e <= yHi; e += step) parts.push(`<text x="${x0 - 6}" y="${py(e) + 4}" text-anchor="end">1e${e}</text>`);
    parts.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 34}" text-anchor="middle">sigma</text>`);
    parts.push(`<clipPath id="clip${p}"><rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}"/></clipPath>`);
    panel.series.forEach((s, k) => {
      const color = COLORS[k % COLORS.length]!;
      const pts = result.sigmas.flatMap((sigma, i) => (result.norms[s][i]! > 0 ? [`${px(Math.log10(sigma)).toFixed(1)},${py(Math.log10(result.norms[s][i]!)).toFixed(1)}`] : []));
      parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`);
      const anchor = result.sigmas.findIndex((sigma) => result.fitSigmas.includes(sigma));
      const a = result.norms[s][anchor]!;
      if (a > 0) {
        const slope = PREDICTED_SLOPES[s];
        const la = Math.log10(a);
        const ls = Math.log10(result.sigmas[anchor]!);
        const line = (x: number): string => `${px(x).toFixed(1)},${py(la + slope * (x - ls)).toFixed(1)}`;
        parts.push(`<polyline points="${line(xLo)} ${line(xHi)}" fill="none" stroke="${color}" stroke-width="1.2" stroke-dasharray="5,4" clip-path="url(#clip${p})"/>`);
      }
      parts.push(`<text x="${x0}" y="${y0 + panelH + 52 + 14 * k}" fill="${color}">${escape(s)}: slope ${result.slopes[s].toFixed(2)} (predicted ${PREDICTED_SLOPES[s]})</text>`);
    });
  });
  parts.push("</svg>");
  writeAtomically(path, parts.join("\n") + "\n");
}
