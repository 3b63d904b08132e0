import { escapeXml } from "./escape.js";
import { px } from "./format.js";

/** Colors that stay distinct in print and for the common color-vision deficiencies (Tableau 10). */
export const PALETTE: readonly string[] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

export function colorAt(index: number, color?: string): string {
  return color ?? PALETTE[index % PALETTE.length]!;
}

export const TITLE_HEIGHT = 30;

/**
 * A standalone SVG document on a white background (transparent figures vanish on dark
 * viewers), with an optional centred title. Ends with a newline, as text files should.
 */
export function svgDocument(options: { width: number; height: number; title?: string; body: readonly string[] }): string {
  const { width, height } = options;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (options.title) {
    // A long title in a narrow panel shrinks (down to 10 px) rather than running off both edges.
    const size = Math.max(10, Math.min(14, (width - 16) / (options.title.length * 0.62)));
    lines.push(text(width / 2, 20, options.title, { "text-anchor": "middle", "font-size": Math.round(size * 10) / 10, "font-weight": "bold" }));
  }
  lines.push(...options.body, "</svg>");
  return lines.join("\n") + "\n";
}

type Attributes = Readonly<Record<string, string | number | undefined>>;

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === "number" ? px(v) : escapeXml(v!)}"`)
    .join("");
}

/** An empty element; numbers are rounded to pixel precision, strings escaped. */
export function element(name: string, attrs: Attributes): string {
  return `<${name}${attributes(attrs)}/>`;
}

export function text(x: number, y: number, content: string, attrs: Attributes = {}): string {
  return `<text${attributes({ x, y, ...attrs })}>${escapeXml(content)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, attrs: Attributes): string {
  return element("line", { x1, y1, x2, y2, ...attrs });
}

export function polyline(points: readonly (readonly [number, number])[], attrs: Attributes): string {
  return element("polyline", { points: points.map(([x, y]) => `${px(x)},${px(y)}`).join(" "), fill: "none", ...attrs });
}
