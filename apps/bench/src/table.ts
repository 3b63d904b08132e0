/** A plain aligned text table: columns of numbers right-aligned, text left-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Fixed decimals for ordinary magnitudes, exponent form for tiny ones, "-" for none. */
export function fixed(x: number | null, decimals: number): string {
  if (x === null) return "-";
  if (x !== 0 && Math.abs(x) < 10 ** -decimals) return x.toExponential(1);
  return x.toFixed(decimals);
}

export function scientific(x: number | null): string {
  if (x === null) return "-";
  return x === 0 ? "0" : x.toExponential(1);
}
