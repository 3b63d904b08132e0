import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

/**
 * A small SVG line chart, one panel per series (energies of different terms live on different
 * scales), x = layer. Written atomically: to a temporary file, then renamed into place.
 */
export function writeLinePlot(path: string, title: string, xLabel: string, series: readonly Series[]): void {
  const panelW = 300;
  const panelH = 220;
  const pad = { left: 70, right: 20, top: 40, bottom: 45 };
  const width = series.length * (panelW + pad.left + pad.right);
  const height = panelH + pad.top + pad.bottom + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  series.forEach((s, k) => {
    const x0 = k * (panelW + pad.left + pad.right) + pad.left;
    const y0 = pad.top + 10;
    const lo = Math.min(...s.values);
    const hi = Math.max(...s.values);
    const span = hi - lo || Math.abs(hi) || 1;
    const px = (i: number): number => x0 + (i / Math.max(1, s.values.length - 1)) * panelW;
    const py = (v: number): number => y0 + panelH - ((v - lo) / span) * panelH;
    const color = COLORS[k % COLORS.length]!;
    parts.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#888"/>`);
    parts.push(`<text x="${x0 + panelW / 2}" y="${y0 - 8}" text-anchor="middle">${escape(s.name)}</text>`);
    for (const t of [0, 0.5, 1]) {
      const v = lo + t * span;
      parts.push(`<text x="${x0 - 6}" y="${py(v) + 4}" text-anchor="end">${v.toPrecision(5)}</text>`);
    }
    s.values.forEach((_, i) => {
      if (s.values.length <= 20 || i % Math.ceil(s.values.length / 10) === 0) {
        parts.push(`<text x="${px(i)}" y="${y0 + panelH + 16}" text-anchor="middle">${i}</text>`);
      }
    });
    parts.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 34}" text-anchor="middle">${escape(xLabel)}</text>`);
    const points = s.values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    s.values.forEach((v, i) => parts.push(`<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${color}"/>`));
  });
  parts.push("</svg>");
  writeAtomically(path, parts.join("\n") + "\n");
}

export function writeAtomically(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
