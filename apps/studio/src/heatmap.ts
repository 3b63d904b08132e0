// A heatmap of row-normalized weights on a canvas, one cell per (query, key) pair: white 0 to
// dark blue at the matrix's largest weight (near-uniform weights would otherwise all look white). uPlot draws series, not matrices, so the matrix gets a canvas of its own.
import type { AttentionWeights } from "./attention.js";

export function drawHeatmap(parent: HTMLElement, title: string, attention: AttentionWeights): void {
  const figure = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const n = attention.tokens;
  const cell = Math.max(4, Math.floor(180 / n));
  const canvas = document.createElement("canvas");
  canvas.width = n * cell;
  canvas.height = n * cell;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${title}: ${n} by ${n} attention weights, row i is token i's weights over the tokens`);
  const top = attention.weights.reduce((m, w) => Math.max(m, w), 0) || 1;
  caption.textContent = `${title} (darkest: ${top.toPrecision(2)})`;
  const context = canvas.getContext("2d");
  if (context) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const w = Math.min(1, Math.max(0, attention.weights[i * n + j]! / top));
        const shade = (c: number): number => Math.round(255 - (255 - c) * w);
        context.fillStyle = `rgb(${shade(8)}, ${shade(48)}, ${shade(107)})`;
        context.fillRect(j * cell, i * cell, cell, cell);
      }
    }
  }
  figure.append(canvas, caption);
  parent.append(figure);
}
