/** A pixel coordinate with at most two decimals: exact enough for any screen, small files. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Rough width of a label in pixels: sans-serif glyphs average about 0.6 em. */
export function textWidth(text: string, fontSize = 12): number {
  return text.length * fontSize * 0.6;
}

/** A number in a legend or note: four significant digits, exponent form outside [1e-3, 1e5). */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e5) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}
