// Matrices on the page (attention weights, Hessian blocks) drawn one way: Observable Plot's raster
// mark, one pixel-rendered cell per entry with row 0 at the top, and a colour legend.
import * as Plot from "@observablehq/plot";
import type { AttentionWeights } from "./attention.js";

/** A row-major matrix to draw, with what its entries and axes mean. */
export interface MatrixFigure {
  readonly title: string;
  readonly rows: number;
  readonly cols: number;
  readonly values: ArrayLike<number>;
  /** The legend's label: what an entry is. */
  readonly label: string;
  /** The screen reader's description of the matrix. */
  readonly description: string;
  /**
   * Signed entries on a diverging scale centred on 0 (red negative, blue positive, symmetric so
   * white is 0); otherwise a sequential scale from 0 to the largest entry.
   */
  readonly signed?: boolean;
  /** The longest side, in CSS pixels. */
  readonly size?: number;
}

/**
 * The most cells drawn per side. Plot maps every cell through its colour scale, which for six
 * 324 x 324 Hessian blocks took over a second; past this a matrix is pooled (see poolLargest).
 */
export const MAX_CELLS_PER_SIDE = 96;

/**
 * The matrix pooled by `factor` x `factor` cells, each cell the entry of largest magnitude in
 * it (sign kept), so a lone large entry still shows where a mean would wash it out.
 */
export function poolLargest(rows: number, cols: number, values: ArrayLike<number>, factor: number): { rows: number; cols: number; values: Float64Array } {
  const pooledRows = Math.ceil(rows / factor);
  const pooledCols = Math.ceil(cols / factor);
  const out = new Float64Array(pooledRows * pooledCols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = values[i * cols + j]!;
      const k = Math.floor(i / factor) * pooledCols + Math.floor(j / factor);
      if (Math.abs(v) > Math.abs(out[k]!)) out[k] = v;
    }
  }
  return { rows: pooledRows, cols: pooledCols, values: out };
}

/** Draws the matrix as a <figure> (raster, axes, legend, caption) appended to `parent`; returns it. */
export function drawMatrix(parent: HTMLElement, figure: MatrixFigure): HTMLElement {
  if (figure.values.length !== figure.rows * figure.cols) throw new Error(`heatmap '${figure.title}': ${figure.values.length} values do not fill a ${figure.rows} x ${figure.cols} matrix`);
  const factor = Math.ceil(Math.max(figure.rows, figure.cols) / MAX_CELLS_PER_SIDE);
  const { rows, cols, values } = factor > 1 ? poolLargest(figure.rows, figure.cols, figure.values, factor) : figure;
  const side = figure.size ?? 220;
  const cell = side / Math.max(rows, cols);
  let top = 0;
  for (let k = 0; k < values.length; k++) top = Math.max(top, Math.abs(values[k]!));
  top ||= 1;
  // Three legend ticks (the ends and the middle), in exponent form where decimals would run together.
  const tickFormat = top < 1e-2 || top >= 1e4 ? ".1e" : "~g";
  const legend = { legend: true, label: figure.label, ticks: 3, tickFormat } as const;
  const color: Plot.ScaleOptions = figure.signed
    ? { type: "linear", scheme: "rdbu", domain: [-top, top], ...legend }
    : { type: "linear", scheme: "blues", domain: [0, top], ...legend };
  const chart = Plot.plot({
    width: Math.round(cols * cell) + 40,
    height: Math.round(rows * cell) + 30,
    marginLeft: 36,
    marginTop: 24,
    marginBottom: 6,
    marginRight: 4,
    // Row 0 at the top, as a matrix is written; the axes count the matrix's own rows and columns, pooled or not.
    x: { domain: [0, cols * factor], axis: "top", ticks: Math.min(cols, 4), tickFormat: "d", label: null },
    y: { domain: [0, rows * factor], reverse: true, ticks: Math.min(rows, 4), tickFormat: "d", label: null },
    color,
    marks: [Plot.raster(Array.from(values), { width: cols, height: rows, x1: 0, y1: 0, x2: cols * factor, y2: rows * factor, imageRendering: "pixelated" })],
    ariaLabel: figure.description,
  });
  const wrapper = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = factor > 1 ? `${figure.title} (drawn pooled ${factor} x ${factor}: the largest |entry| of each cell)` : figure.title;
  wrapper.append(chart, caption);
  parent.append(wrapper);
  return wrapper;
}

/** Row-normalized attention weights: row i is token i's weights over the tokens, white 0 to dark blue at the largest weight. */
export function drawHeatmap(parent: HTMLElement, title: string, attention: AttentionWeights): HTMLElement {
  const n = attention.tokens;
  return drawMatrix(parent, {
    title,
    rows: n,
    cols: n,
    values: attention.weights,
    label: "gamma",
    description: `${title}: ${n} by ${n} attention weights, row i is token i's weights over the tokens`,
    size: 180,
  });
}
