import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"];

export function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function svgOpen(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
}

/** Written to a temporary file, then renamed into place, so a reader never sees half a figure. */
export function writeAtomically(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/** Sequential color for t in [0, 1]: white through blue to near black (viridis-free, readable in print). */
export function heatColor(t: number): string {
  const c = Math.min(1, Math.max(0, t));
  const r = Math.round(255 * (1 - c) ** 1.5);
  const g = Math.round(255 * (1 - c) ** 0.9);
  const b = Math.round(255 * (1 - 0.6 * c));
  return `rgb(${r},${g},${b})`;
}

/** Powers of ten spanning [lo, hi] (both > 0), for log axes. */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push(e);
  return out;
}
