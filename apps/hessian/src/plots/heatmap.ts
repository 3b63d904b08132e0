import type { Matrix } from "@unfold/hessian";
import { escapeXml, svgDocument, writeSvg } from "@unfold/plot";

export interface BlockLabel {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * A heatmap of log10 |H| over the stacked parameters, pooled to at most `cells` x `cells` (mean
 * of |H| per cell) so a 1024 x 1024 Hessian stays a small file; block boundaries are drawn and
 * labelled, which is where the heterogeneity between W_Q, W_K, W_V and W_O shows.
 */
export function writeHeatmap(path: string, title: string, h: Matrix, blocks: readonly BlockLabel[], cells = 128): void {
  const n = h.rows;
  const pool = Math.max(1, Math.ceil(n / cells));
  const m = Math.ceil(n / pool);
  const pooled = new Float64Array(m * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pooled[Math.floor(i / pool) * m + Math.floor(j / pool)]! += Math.abs(h.data[i * n + j]!) / (pool * pool);
  const logs = [...pooled].filter((v) => v > 0).map(Math.log10);
  const hi = logs.length ? Math.max(...logs) : 0;
  const lo = logs.length ? Math.max(Math.min(...logs), hi - 12) : -1;
  const size = 512;
  const cell = size / m;
  const left = 60;
  const top = 50;
  const parts: string[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const v = pooled[i * m + j]!;
      const t = v > 0 ? (Math.log10(v) - lo) / (hi - lo || 1) : 0;
      if (t <= 0) continue;
      parts.push(`<rect x="${(left + j * cell).toFixed(2)}" y="${(top + i * cell).toFixed(2)}" width="${(cell + 0.05).toFixed(2)}" height="${(cell + 0.05).toFixed(2)}" fill="${heatColor(t)}"/>`);
    }
  }
  parts.push(`<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#444"/>`);
  for (const b of blocks) {
    const start = (b.offset / n) * size;
    const mid = ((b.offset + b.size / 2) / n) * size;
    if (b.offset > 0) {
      parts.push(`<line x1="${left + start}" y1="${top}" x2="${left + start}" y2="${top + size}" stroke="#d62728" stroke-width="1"/>`);
      parts.push(`<line x1="${left}" y1="${top + start}" x2="${left + size}" y2="${top + start}" stroke="#d62728" stroke-width="1"/>`);
    }
    parts.push(`<text x="${left + mid}" y="${top - 8}" text-anchor="middle">${escapeXml(b.name)}</text>`);
    parts.push(`<text x="${left - 8}" y="${top + mid + 4}" text-anchor="end">${escapeXml(b.name)}</text>`);
  }
  // Color bar: log10 |H|.
  const barX = left + size + 30;
  for (let k = 0; k < 50; k++) parts.push(`<rect x="${barX}" y="${top + size - (k + 1) * (size / 50)}" width="20" height="${size / 50 + 0.5}" fill="${heatColor(k / 49)}"/>`);
  parts.push(`<text x="${barX + 26}" y="${top + 10}">1e${hi.toFixed(1)}</text>`, `<text x="${barX + 26}" y="${top + size}">1e${lo.toFixed(1)}</text>`);
  parts.push(`<text x="${barX}" y="${top + size + 25}">|H| (log scale)</text>`);
  writeSvg(path, svgDocument({ width: left + size + 120, height: top + size + 40, title, body: parts }));
}

/** Sequential color for t in [0, 1]: white through blue to near black (viridis-free, readable in print). */
function heatColor(t: number): string {
  const c = Math.min(1, Math.max(0, t));
  const r = Math.round(255 * (1 - c) ** 1.5);
  const g = Math.round(255 * (1 - c) ** 0.9);
  const b = Math.round(255 * (1 - 0.6 * c));
  return `rgb(${r},${g},${b})`;
}
