/** A plain aligned text table: numbers right-aligned, an all-integer column without decimals. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === "number"));
  const integral = header.map((_, i) => numeric[i] && rows.every((r) => Number.isInteger(r[i])));
  const cells = [header, ...rows.map((r) => r.map((c, i) => (typeof c === "number" ? formatNumber(c, integral[i]!) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
  const line = (r: readonly (string | number)[]): string =>
    r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

export function formatNumber(x: number, integral = false): string {
  if (integral) return String(x);
  if (x === 0) return "0";
  const abs = Math.abs(x);
  return abs >= 1e-3 && abs < 1e6 ? x.toFixed(6) : x.toExponential(3);
}
