import { TITLE_HEIGHT, svgDocument } from "./svg.js";

const ROOT = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="([\d.]+)" height="([\d.]+)"/;

/**
 * Charts from this package side by side in one figure (e.g. one panel per energy term, whose
 * scales differ too much to share an axis), filled row by row. Each chart keeps its own size
 * and becomes a nested <svg>, which also clips it to its cell.
 */
export function chartGrid(options: { title?: string; charts: readonly string[]; columns?: number }): string {
  const { charts } = options;
  const columns = Math.max(1, Math.min(options.columns ?? charts.length, charts.length));
  const sizes = charts.map((chart, i) => {
    const match = ROOT.exec(chart);
    if (!match) throw new Error(`chartGrid: chart ${i} is not an SVG made by @unfold/plot (its root element has no width and height)`);
    return { width: Number(match[1]), height: Number(match[2]) };
  });
  const cellWidth = Math.max(0, ...sizes.map((s) => s.width));
  const cellHeight = Math.max(0, ...sizes.map((s) => s.height));
  const top = options.title ? TITLE_HEIGHT : 0;
  const rows = Math.ceil(charts.length / columns);
  const body = charts.map((chart, i) => {
    const x = (i % columns) * cellWidth;
    const y = top + Math.floor(i / columns) * cellHeight;
    return chart.trimEnd().replace(ROOT, (_, w: string, h: string) => `<svg x="${x}" y="${y}" width="${w}" height="${h}"`);
  });
  return svgDocument({ width: columns * cellWidth, height: top + rows * cellHeight, title: options.title, body });
}
